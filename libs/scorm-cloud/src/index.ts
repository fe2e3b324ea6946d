export * from './scorm-cloud.module';
export * from './migrations';

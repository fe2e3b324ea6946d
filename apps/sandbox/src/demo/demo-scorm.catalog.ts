import { Injectable } from '@nestjs/common';

export interface DemoScormCourse {
  course_id: string;
  title: string;
}

/** The SCORM courses the demo offers for enrolment (students may not list courses themselves). */
@Injectable()
export class DemoScormCatalog {
  courses(): DemoScormCourse[] {
    return [];
  }
}

/** A demo user as the LMS knows them: the Bazaar user fields (the Bazaar spec) plus the role the token carries. */
export interface DemoUser {
  key: string;
  user_id: string;
  first_name: string;
  last_name: string;
  email: string;
  role: 'student' | 'teacher' | 'admin';
  school: string;
  /** National school id, 5-10 characters (the Bazaar spec). */
  school_id: string;
  city: string;
  /** National city id, at most 10 characters (the Bazaar spec). */
  city_id: string;
  /** The courses the user belongs to, with `role` in each: the token's `contexts` claim. */
  contexts: string[];
}

export interface DemoCourse {
  context_id: string;
  context_title: string;
}

export const DEMO_COURSES: readonly DemoCourse[] = [
  { context_id: 'bio-7a-2026', context_title: 'Biology 7A' },
  { context_id: 'hist-8b-2026', context_title: 'History 8B' },
];

/** The demo school: every demo user belongs to it and to both demo courses. */
export const DEMO_SCHOOL = {
  city: 'Helsinki',
  city_id: '091',
  contexts: DEMO_COURSES.map((course) => course.context_id),
  school: 'Kallion yhtenäiskoulu',
  school_id: '00913',
};

export const DEMO_USERS: readonly DemoUser[] = [
  {
    ...DEMO_SCHOOL,
    email: 'tiina.teacher@kallio.example.fi',
    first_name: 'Tiina',
    key: 'teacher',
    last_name: 'Teacher',
    role: 'teacher',
    user_id: 'tiina.teacher',
  },
  {
    ...DEMO_SCHOOL,
    email: 'sami.student@kallio.example.fi',
    first_name: 'Sami',
    key: 'student',
    last_name: 'Student',
    role: 'student',
    user_id: 'sami.student',
  },
  {
    ...DEMO_SCHOOL,
    email: 'sara.student@kallio.example.fi',
    first_name: 'Sara',
    key: 'student2',
    last_name: 'Student',
    role: 'student',
    user_id: 'sara.student',
  },
];

export function findDemoUser(key: string | undefined): DemoUser | undefined {
  return DEMO_USERS.find((user) => user.key === key || user.user_id === key);
}

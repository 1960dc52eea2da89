import { z } from 'zod';

/** The fields a user may set on their own profile; email comes from the sign-in token instead. */
export const userProfileSchema = z.strictObject({
  givenName: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  familyName: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  phoneNumber: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +14155550123')
    .optional(),
});

export type UserProfileInput = z.output<typeof userProfileSchema>;

export interface User {
  readonly userId: string;
  readonly email: string;
  readonly givenName: string;
  readonly familyName: string;
  readonly phoneNumber?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

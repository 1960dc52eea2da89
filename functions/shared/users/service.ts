import { type Caller, isAdmin } from '../caller';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors';
import { isWellFormedId } from '../ids';
import { type Page, type PageRequest } from '../pagination';
import { parseWith } from '../validation';
import { type User, userProfileSchema } from './model';
import { type UserRepository } from './repository';

/**
 * User profiles. A profile belongs to the Cognito user whose `sub` is its id; users manage their
 * own profile and admins manage everyone's. Inputs arrive unvalidated (`unknown`) and are checked
 * here, after authorization, so a caller who may not act learns nothing from validation errors.
 */
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly now: () => Date = () => new Date()
  ) {}

  /**
   * Creates the caller's own profile; the email is the one their sign-in token vouches for. A token
   * without a verified e-mail (`email_verified` false, or no email claim: the authorizer passes
   * only verified addresses) is refused with 403 before the body is read, and nothing is stored:
   * an unverified address may belong to someone else.
   */
  async register(caller: Caller, input: unknown): Promise<User> {
    if (caller.email === '') {
      throw new ForbiddenError(
        'email: your sign-in token carries no verified e-mail address; verify it, then sign in again'
      );
    }
    const profile = parseWith(userProfileSchema, input);
    const timestamp = this.now().toISOString();
    const user: User = {
      userId: caller.userId,
      email: caller.email,
      ...profile,
      createdAt: timestamp,
      updatedAt: timestamp,
    };
    if (!(await this.users.create(user))) {
      throw new ConflictError(`A profile for user ${caller.userId} already exists`, 'user_exists');
    }
    return user;
  }

  async get(caller: Caller, userId: string): Promise<User> {
    this.assertSelfOrAdmin(caller, userId);
    const user = isWellFormedId(userId) ? await this.users.get(userId) : undefined;
    if (!user) throw this.notFound(userId);
    return user;
  }

  async update(caller: Caller, userId: string, input: unknown): Promise<User> {
    this.assertSelfOrAdmin(caller, userId);
    const profile = parseWith(userProfileSchema, input);
    const user = isWellFormedId(userId)
      ? await this.users.update(userId, profile, this.now().toISOString())
      : undefined;
    if (!user) throw this.notFound(userId);
    return user;
  }

  async delete(caller: Caller, userId: string): Promise<void> {
    this.assertSelfOrAdmin(caller, userId);
    if (!isWellFormedId(userId) || !(await this.users.delete(userId))) throw this.notFound(userId);
  }

  async list(caller: Caller, page: PageRequest): Promise<Page<User>> {
    if (!isAdmin(caller)) throw new ForbiddenError('Only administrators can list users');
    return this.users.list(page);
  }

  /**
   * Checked before the lookup, so a 403 says nothing about whether that user exists. (Orders
   * answer 404 instead, because their owner is only known after reading them.)
   */
  private assertSelfOrAdmin(caller: Caller, userId: string): void {
    if (caller.userId !== userId && !isAdmin(caller)) {
      throw new ForbiddenError('You can only access your own profile');
    }
  }

  private notFound(userId: string): NotFoundError {
    return new NotFoundError(`User ${userId} not found`);
  }
}

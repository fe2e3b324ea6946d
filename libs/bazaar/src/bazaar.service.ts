import { Caller, bindToToken } from '@app/auth';
import { Clock, DomainError, ForbiddenError, assertAllowedReturnUrl } from '@app/common';
import { AppConfigService } from '@app/config';
import { Injectable } from '@nestjs/common';

import { BazaarClient } from './bazaar.client';
import { BrowseStateService } from './browse-state.service';
import { BazaarRole, BazaarUserContextDto } from './dto/bazaar-user.dto';
import { BrowseRequestDto, BrowseResponseDto } from './dto/browse-request.dto';
import { ViewRequestDto, ViewResponseDto } from './dto/view-request.dto';
import { MaterialsService, materialNotFound } from './materials.service';

/** The Bazaar spec: browse and view URLs stop working 60 s after Bazaar creates them. */
export const BAZAAR_URL_TTL_MS = 60_000;
export const CALLBACK_PATH = '/api/v1/bazaar/callbacks';

/** Browse the store and view materials: the LMS-facing half of the Bazaar LMS interface. */
@Injectable()
export class BazaarService {
  constructor(
    private readonly client: BazaarClient,
    private readonly states: BrowseStateService,
    private readonly materials: MaterialsService,
    private readonly config: AppConfigService,
    private readonly clock: Clock,
  ) {}

  async browse(caller: Caller, dto: BrowseRequestDto): Promise<BrowseResponseDto> {
    const user = bindUser(caller, dto);
    if (user.role === 'student') {
      throw new ForbiddenError('ROLE_FORBIDDEN', 'Only a teacher or an admin may add Bazaar material to a course');
    }
    assertAllowedReturnUrl(dto.return_url, this.config.http.allowedReturnOrigins, 'return_url');
    const startedAt = this.clock.now();
    const { id, state } = await this.states.issue({
      contextId: user.context_id,
      returnUrl: dto.return_url,
      role: user.role,
      userId: user.user_id,
    });
    const callbacks = `${this.config.http.publicBaseUrl}${CALLBACK_PATH}`;
    const query = `?state=${encodeURIComponent(state)}`;
    try {
      const browseUrl = await this.client.browse({
        ...userArguments(user),
        add_resource_callback_url: `${callbacks}/add${query}`,
        cancel_url: `${callbacks}/cancel${query}`,
      });
      return { browse_url: browseUrl, expires_at: expiresAt(startedAt) };
    } catch (error) {
      await this.states.discard(id).catch(() => undefined);
      throw error;
    }
  }

  async view(caller: Caller, dto: ViewRequestDto): Promise<ViewResponseDto> {
    const user = bindUser(caller, dto);
    if (dto.return_url) assertAllowedReturnUrl(dto.return_url, this.config.http.allowedReturnOrigins, 'return_url');
    const startedAt = this.clock.now();
    // Logged as opened before Bazaar is asked, in the statement that checks the course has the material; a refusal
    // then corrects the outcome. (A crash while Bazaar answers leaves "opened" for a URL never delivered.)
    const viewId = await this.materials.recordView({
      contextId: user.context_id,
      role: user.role,
      uid: dto.resource_uid,
      userId: user.user_id,
    });
    if (!viewId) throw materialNotFound(user.context_id, dto.resource_uid);
    try {
      const viewUrl = await this.client.view({
        ...userArguments(user),
        resource_uid: dto.resource_uid,
        ...(dto.return_url ? { return_url: dto.return_url } : {}),
      });
      return { expires_at: expiresAt(startedAt), view_url: viewUrl };
    } catch (error) {
      await this.materials.viewOutcome(viewId, error instanceof DomainError ? error.code : 'INTERNAL_ERROR');
      throw error;
    }
  }
}

/** The user and course fields Bazaar receives, after binding to the token. */
interface BazaarUser {
  first_name: string;
  last_name: string;
  email?: string;
  user_id: string;
  context_id: string;
  context_title: string;
  role: BazaarRole;
  school: string;
  school_id: string;
  city: string;
  city_id: string;
  oid?: string | null;
}

/**
 * With a user token the user, school, city, names and email Bazaar receives are the token's (a body that names
 * others is refused with 403), and the course must be one of the token's contexts; an API key sends them all.
 */
function bindUser(caller: Caller, dto: BazaarUserContextDto & { user_id?: string }): BazaarUser {
  const bound = bindToToken(caller, {
    first_name: { claim: 'given_name', required: true, value: dto.first_name },
    last_name: { claim: 'family_name', required: true, value: dto.last_name },
    email: { claim: 'email', value: dto.email },
    user_id: { claim: 'sub', required: true, value: dto.user_id },
    context_id: { claim: 'contexts', required: true, value: dto.context_id },
    role: { claim: 'role', required: true, value: dto.role },
    school_id: { claim: 'school_id', required: true, value: dto.school_id },
    city_id: { claim: 'city_id', required: true, value: dto.city_id },
  }) as Omit<BazaarUser, 'context_title' | 'school' | 'city' | 'oid'>;
  return { ...bound, city: dto.city, context_title: dto.context_title, oid: dto.oid, school: dto.school };
}

/** The spec table's fields, in its order, as strings; absent optionals are left out. */
function userArguments(user: BazaarUser): Record<string, string> {
  return {
    first_name: user.first_name,
    last_name: user.last_name,
    ...(user.email ? { email: user.email } : {}),
    user_id: user.user_id,
    context_id: user.context_id,
    context_title: user.context_title,
    role: user.role,
    school: user.school,
    school_id: user.school_id,
    city: user.city,
    city_id: user.city_id,
    ...(user.oid ? { oid: user.oid } : {}),
  };
}

function expiresAt(startedAt: Date): string {
  return new Date(startedAt.getTime() + BAZAAR_URL_TTL_MS).toISOString();
}

import { Caller, assertCallerIs } from '@app/auth';
import { Clock, DomainError, ForbiddenError, assertAllowedReturnUrl } from '@app/common';
import { AppConfigService } from '@app/config';
import { Injectable } from '@nestjs/common';

import { BazaarClient } from './bazaar.client';
import { BrowseStateService } from './browse-state.service';
import { BazaarUserContextDto } from './dto/bazaar-user.dto';
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
    assertCallerIs(caller, { role: dto.role, userId: dto.user_id });
    if (dto.role === 'student') {
      throw new ForbiddenError('ROLE_FORBIDDEN', 'Only a teacher or an admin may add Bazaar material to a course');
    }
    assertAllowedReturnUrl(dto.return_url, this.config.http.allowedReturnOrigins, 'return_url');
    const startedAt = this.clock.now();
    const { id, state } = await this.states.issue({
      contextId: dto.context_id,
      returnUrl: dto.return_url,
      role: dto.role,
      userId: dto.user_id,
    });
    const callbacks = `${this.config.http.publicBaseUrl}${CALLBACK_PATH}`;
    const query = `?state=${encodeURIComponent(state)}`;
    try {
      const browseUrl = await this.client.browse({
        ...userArguments(dto),
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
    assertCallerIs(caller, { role: dto.role, userId: dto.user_id });
    if (dto.return_url) assertAllowedReturnUrl(dto.return_url, this.config.http.allowedReturnOrigins, 'return_url');
    if (!(await this.materials.exists(dto.context_id, dto.resource_uid))) {
      throw materialNotFound(dto.context_id, dto.resource_uid);
    }
    const startedAt = this.clock.now();
    const record = (outcome: string) =>
      this.materials.recordView({
        contextId: dto.context_id,
        outcome,
        role: dto.role,
        uid: dto.resource_uid,
        userId: dto.user_id,
      });
    let viewUrl: string;
    try {
      viewUrl = await this.client.view({
        ...userArguments(dto),
        resource_uid: dto.resource_uid,
        ...(dto.return_url ? { return_url: dto.return_url } : {}),
      });
    } catch (error) {
      if (error instanceof DomainError) await record(error.code);
      throw error;
    }
    await record('opened');
    return { expires_at: expiresAt(startedAt), view_url: viewUrl };
  }
}

/** The spec table's fields, in its order, as strings; absent optionals are left out. */
function userArguments(dto: BazaarUserContextDto): Record<string, string> {
  return {
    first_name: dto.first_name,
    last_name: dto.last_name,
    ...(dto.email ? { email: dto.email } : {}),
    user_id: dto.user_id,
    context_id: dto.context_id,
    context_title: dto.context_title,
    role: dto.role,
    school: dto.school,
    school_id: dto.school_id,
    city: dto.city,
    city_id: dto.city_id,
    ...(dto.oid ? { oid: dto.oid } : {}),
  };
}

function expiresAt(startedAt: Date): string {
  return new Date(startedAt.getTime() + BAZAAR_URL_TTL_MS).toISOString();
}

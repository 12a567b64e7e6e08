import { useQuery } from '@tanstack/react-query';
import { apiPage } from '../shared/api';

export const WEBHOOKS_PATH = '/api/management/v1/webhooks';

export interface Webhook {
  id: string;
  url: string;
  event_types: string[];
  description: string;
  enabled: boolean;
  created_at: string;
  updated_at: string;
}

export interface WebhookWithSecret extends Webhook {
  secret: string;
}

export interface DeliveryAttempt {
  attempt: number;
  attempted_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
}

export interface Delivery {
  id: string;
  event_id: string;
  event_type: string;
  device_id: string | null;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
  log: DeliveryAttempt[];
}

export interface PingResult {
  delivered: boolean;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

export const webhookPath = (id: string) => `${WEBHOOKS_PATH}/${encodeURIComponent(id)}`;

/** Domains whose every event type a webhook can subscribe to with `<domain>.*`. */
export const EVENT_DOMAINS = [
  'device.*',
  'deployment.*',
  'artifact.*',
  'bootstrap.*',
  'pki.*',
  'enrollment.*',
  'allocation.*',
  'webhook.*',
  'allocation_webhook.*',
] as const;

export const useWebhooks = (page: number, perPage: number) =>
  useQuery({
    queryKey: ['webhooks', 'list', page, perPage],
    queryFn: () => apiPage<Webhook>(WEBHOOKS_PATH, { page, per_page: perPage }),
    placeholderData: (prev) => prev,
  });

/** Deliveries change without events of their own: polled while shown. */
export const useDeliveries = (id: string, status: string, page: number, perPage: number) =>
  useQuery({
    queryKey: ['webhooks', id, 'deliveries', status, page, perPage],
    queryFn: () =>
      apiPage<Delivery>(`${webhookPath(id)}/deliveries`, {
        status: status === 'all' ? undefined : status,
        page,
        per_page: perPage,
      }),
    refetchInterval: 5000,
    placeholderData: (prev) => prev,
  });

/** "device.*, deployment.finished" → ['device.*', 'deployment.finished']. */
export const parseEventTypes = (text: string): string[] => [
  ...new Set(
    text
      .split(/[\s,]+/)
      .map((s) => s.trim())
      .filter(Boolean),
  ),
];

/** "HTTP 500", "HTTP 500: timeout", "connection refused": a status code and an error, said once. */
export const answerText = (code: number | null, error: string | null): string => {
  const http = code ? `HTTP ${code}` : '';
  if (!error || error === http) return http;
  return http ? `${http}: ${error}` : error;
};

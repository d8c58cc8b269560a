import { credentials, type ChannelOptions } from "@grpc/grpc-js";

/** Largest request or reply a model service accepts (prompts are text; 4 MiB is generous). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/**
 * Channel options every client uses. Round-robin matters on Kubernetes: gRPC keeps one HTTP/2 connection,
 * so a client dialling a headless Service by `dns:///` must spread calls over every pod it resolves.
 */
export const clientChannelOptions: ChannelOptions = {
  "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
  "grpc.keepalive_time_ms": 30_000,
  "grpc.keepalive_timeout_ms": 10_000,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  "grpc.initial_reconnect_backoff_ms": 250,
  "grpc.max_reconnect_backoff_ms": 5_000,
};

export const serverChannelOptions: ChannelOptions = {
  // grpc-js sets SO_REUSEPORT by default: a second server on a taken port would silently share it.
  "grpc.so_reuseport": 0,
  "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  "grpc.keepalive_permit_without_calls": 1,
  "grpc.http2.min_ping_interval_without_data_ms": 10_000,
};

/**
 * `host:port` → `dns:///host:port`; targets that already name a scheme are kept, including grpc-js's address
 * lists (`ipv4:127.0.0.1:50051,127.0.0.1:50061`: several replicas behind one target, balanced round-robin).
 */
export function dialTarget(target: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(target) || /^(unix|ipv4|ipv6):/i.test(target) ? target : `dns:///${target}`;
}

export const insecure = () => credentials.createInsecure();

/** A gRPC deadline `ms` from now. */
export function deadlineIn(ms: number): Date {
  return new Date(Date.now() + ms);
}

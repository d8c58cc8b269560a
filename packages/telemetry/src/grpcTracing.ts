/**
 * Trace context across gRPC, explicitly: a client interceptor and a server interceptor, no require hooks.
 * The services run as ES modules under tsx, where @opentelemetry/instrumentation-grpc's patching of
 * @grpc/grpc-js (a CommonJS require hook) does not reliably apply; interceptors are grpc-js's own API and
 * work the same in ESM, CJS and bundles.
 */
import {
  InterceptingCall,
  ServerInterceptingCall,
  type Interceptor,
  type Metadata,
  type ServerInterceptor,
  type StatusObject,
} from "@grpc/grpc-js";
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from "@opentelemetry/api";
import { ATTR, grpcStatusName, isGrpcServerError } from "./genAiConventions.js";
import { INSTRUMENTATION_SCOPE } from "./startTelemetry.js";

const metadataSetter: TextMapSetter<Metadata> = {
  set(carrier, key, value) {
    carrier.set(key, value);
  },
};

const metadataGetter: TextMapGetter<Metadata> = {
  keys: (carrier) => Object.keys(carrier.getMap()),
  get(carrier, key) {
    const values = carrier.get(key).filter((v): v is string => typeof v === "string");
    return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
  },
};

/** "/evalstack.inference.v1.Inference/GenerateStream" → span name and rpc.* attributes. */
function rpcNames(path: string): { name: string; attributes: Attributes } {
  const [service = "", method = ""] = path.replace(/^\//, "").split("/");
  return {
    name: `${service}/${method}`,
    attributes: { [ATTR.rpcSystem]: "grpc", [ATTR.rpcService]: service, [ATTR.rpcMethod]: method },
  };
}

export interface GrpcTracingOptions {
  /** Method paths that get no span (and, on the client, no traceparent). Default: the standard health and
   *  reflection services, which Kubernetes probes and tooling call every few seconds. */
  ignore?: RegExp;
}

/** `/grpc.health.v1.Health/Check`, `/grpc.reflection.v1.ServerReflection/...` and v1alpha. */
export const DEFAULT_IGNORED_GRPC_PATHS = /^\/grpc\.(health|reflection)\./;

function tracer() {
  // Looked up per call: the global provider may be registered after the client or server was built.
  return trace.getTracer(INSTRUMENTATION_SCOPE);
}

/**
 * A grpc-js client interceptor: every call gets a CLIENT span (child of the span active where the call is
 * made) and carries its W3C `traceparent` (and baggage) in the request metadata. The span ends with the
 * call's final status (`rpc.grpc.status_code`; any non-OK is an error on the client side).
 *
 * `new InferenceClient(target, creds, { ...clientChannelOptions, interceptors: [grpcClientInterceptor()] })`
 */
export function grpcClientInterceptor(tracingOptions: GrpcTracingOptions = {}): Interceptor {
  const ignore = tracingOptions.ignore ?? DEFAULT_IGNORED_GRPC_PATHS;
  return (options, nextCall) => {
    if (ignore.test(options.method_definition.path)) return new InterceptingCall(nextCall(options));
    // Captured here, synchronously inside the caller's `client.method(...)`: the caller's active span.
    const parent = context.active();
    const { name, attributes } = rpcNames(options.method_definition.path);
    let span: Span | undefined;
    return new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        span = tracer().startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
        propagation.inject(trace.setSpan(parent, span), metadata, metadataSetter);
        next(metadata, {
          onReceiveStatus(status: StatusObject, nextStatus: (status: StatusObject) => void) {
            if (span) {
              span.setAttribute(ATTR.rpcGrpcStatusCode, status.code);
              if (status.code !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message: status.details });
              span.end();
              span = undefined;
            }
            nextStatus(status);
          },
        }); // the handlers not given here (metadata, messages) pass through unchanged
      },
    });
  };
}

/**
 * A grpc-js server interceptor: every call runs inside a SERVER span whose parent is the `traceparent` in
 * the request metadata (a new trace when there is none). The handler, and everything it awaits, sees that
 * span as active (`trace.getActiveSpan()`, `createLogger` lines carry its trace_id). The span ends with
 * the status sent (`rpc.grpc.status_code`), or with CANCELLED / DEADLINE_EXCEEDED when the call is
 * cancelled or times out; per the RPC conventions only server-side faults (UNKNOWN, DEADLINE_EXCEEDED,
 * UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS) mark it as an error.
 *
 * `new Server({ ...serverChannelOptions, interceptors: [grpcServerInterceptor()] })`
 */
export function grpcServerInterceptor(tracingOptions: GrpcTracingOptions = {}): ServerInterceptor {
  const ignore = tracingOptions.ignore ?? DEFAULT_IGNORED_GRPC_PATHS;
  return (methodDescriptor, call) => {
    if (ignore.test(methodDescriptor.path)) return new ServerInterceptingCall(call);
    const { name, attributes } = rpcNames(methodDescriptor.path);
    let span: Span | undefined;
    let spanContext: Context = ROOT_CONTEXT;
    const finish = (code: number, details?: string) => {
      if (!span) return;
      span.setAttribute(ATTR.rpcGrpcStatusCode, code);
      if (isGrpcServerError(code)) span.setStatus({ code: SpanStatusCode.ERROR, message: details ?? grpcStatusName(code) });
      span.end();
      span = undefined;
    };
    const inSpan = <T>(fn: () => T): T => context.with(spanContext, fn);
    return new ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, nextMetadata) {
            const parent = propagation.extract(ROOT_CONTEXT, metadata, metadataGetter);
            span = tracer().startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
            spanContext = trace.setSpan(parent, span);
            inSpan(() => nextMetadata(metadata));
          },
          onReceiveMessage(message, nextMessage) {
            inSpan(() => nextMessage(message));
          },
          onReceiveHalfClose(nextHalfClose) {
            inSpan(() => nextHalfClose());
          },
          onCancel() {
            const deadline = call.getDeadline();
            const expired = deadline !== Infinity && new Date(deadline).getTime() <= Date.now();
            finish(expired ? 4 : 1, expired ? "deadline exceeded" : "cancelled by the client");
          },
        });
      },
      sendStatus(status, nextStatus) {
        finish(status.code ?? 0, status.details);
        nextStatus(status);
      },
    });
  };
}

import { describe, expect, it } from "vitest";
import { dialTarget } from "./channel.js";

describe("dialTarget", () => {
  it("dials host:port through dns:/// and keeps targets that name a scheme, address lists included", () => {
    expect(dialTarget("qwen.default.svc:50051")).toBe("dns:///qwen.default.svc:50051");
    expect(dialTarget("dns:///h:1")).toBe("dns:///h:1");
    expect(dialTarget("unix:/tmp/s.sock")).toBe("unix:/tmp/s.sock");
    expect(dialTarget("ipv4:127.0.0.1:5001,127.0.0.1:5002")).toBe("ipv4:127.0.0.1:5001,127.0.0.1:5002");
    expect(dialTarget("ipv6:[::1]:5001")).toBe("ipv6:[::1]:5001");
  });
});

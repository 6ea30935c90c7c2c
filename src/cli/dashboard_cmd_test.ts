import assert from "node:assert/strict";
import { hostProblem } from "./dashboard_cmd.ts";

Deno.test("hostProblem() accepts IPv4 and IPv6 addresses and host names", () => {
  for (
    const host of ["127.0.0.1", "0.0.0.0", "::", "::1", "fe80::1%eth0", "localhost", "db-1.example.com."]
  ) {
    assert.equal(hostProblem(host), null, host);
  }
});

Deno.test("hostProblem() names what is wrong with a host no listen() could take", () => {
  assert.equal(hostProblem(" "), "it is empty");
  assert.match(hostProblem("not a host")!, /expected an IP address or a host name/);
  assert.match(hostProblem("a_b")!, /host name/);
  assert.match(hostProblem("-x.example")!, /host name/);
  assert.match(hostProblem(`${"a".repeat(64)}.example`)!, /host name/);
  assert.match(hostProblem("1.2.3")!, /not an IPv4 address/);
  assert.match(hostProblem("256.0.0.1")!, /not an IPv4 address/);
  assert.match(hostProblem("1::2::3")!, /not an IPv6 address/);
  assert.match(hostProblem("fe80::1%a b")!, /%zone/);
});

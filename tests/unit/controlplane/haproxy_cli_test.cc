// What the agent reads from and sends to HAProxy, without HAProxy: `show proc` and `show
// servers state` as HAProxy 2.6.12 prints them, the runtime commands for each slot move, and
// which runtime state may carry over into a new configuration.
#include <gtest/gtest.h>

#include "haproxy/master_cli.h"
#include "haproxy/runtime_api.h"

namespace edgelb::haproxy {
namespace {

// Captured from HAProxy 2.6.12-1+deb12u4 after one failed reload.
const char* const kShowProc =
    "#<PID>          <type>          <reloads>       <uptime>        <version>      \n"
    "1903            master          3 [failed: 1]   0d00h10m28s     2.6.12-1+deb12u4\n"
    "# workers\n"
    "2711            worker          1               0d00h00m05s     2.6.12-1+deb12u4\n"
    "# old workers\n"
    "2442            worker          2               0d00h00m09s     2.6.12-1+deb12u4\n"
    "# programs\n"
    "\n";

TEST(MasterCli, ParsesShowProc) {
  auto p = parse_show_proc(kShowProc);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->master.pid, 1903);
  EXPECT_EQ(p->master.reloads, 3);
  EXPECT_EQ(p->failed_reloads, 1);
  EXPECT_EQ(p->master.uptime, "0d00h10m28s");
  ASSERT_EQ(p->workers.size(), 1u);
  EXPECT_EQ(p->workers[0].pid, 2711);
  EXPECT_EQ(p->workers[0].reloads, 1);
  ASSERT_EQ(p->old_workers.size(), 1u);
  EXPECT_EQ(p->old_workers[0].pid, 2442);
  // Without the failure marker (older 2.6 releases).
  auto q = parse_show_proc("#<PID> <type> <reloads> <uptime> <version>\n10 master 0 0d00h00m01s 2.6.0\n# workers\n");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->failed_reloads, 0);
  EXPECT_EQ(q->master.uptime, "0d00h00m01s");
  EXPECT_FALSE(parse_show_proc("Unknown command.\n"));
}

// Captured `show servers state app` (two slots: one serving, one free in maintenance).
const char* const kState =
    "1\n"
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight "
    "srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state "
    "bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr "
    "srv_agent_addr srv_agent_port\n"
    "4 app 1 s0_1 127.0.0.1 2 8 20 20 1 6 3 4 6 0 0 0 - 18081 - 0 0 - - 0\n"
    "4 app 2 s0_2 0.0.0.0 0 5 1 1 623 1 0 0 14 0 0 0 - 0 - 0 0 - - 0\n";

TEST(RuntimeApi, ParsesServersState) {
  auto s = parse_servers_state(kState);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].server, "s0_1");
  EXPECT_EQ(s[0].address, "127.0.0.1");
  EXPECT_EQ(s[0].port, 18081u);
  EXPECT_EQ(s[0].weight, 20u);
  EXPECT_TRUE(s[0].draining());
  EXPECT_FALSE(s[0].serving());
  EXPECT_TRUE(s[1].in_maintenance());
}

TEST(RuntimeApi, StateCarriesOverOnlyToTheSameServer) {
  const std::string config =
      "backend app\n  server s0_1 127.0.0.1:18081 check\n  server s0_2 127.0.0.1:18082 check\n"
      "backend other\n  server s0_1 127.0.0.1:18081 check\n";
  std::string kept = carry_over_server_state(kState, config);
  EXPECT_NE(kept.find(" s0_1 127.0.0.1 "), std::string::npos);
  EXPECT_EQ(kept.find(" s0_2 "), std::string::npos) << "s0_2 now holds another server";
  EXPECT_EQ(kept.rfind("1\n# be_id", 0), 0u) << "the header stays";
}

ServerEndpoint ep(const std::string& addr, uint32_t port, bool ready = true) { return {addr, port, false, "t", ready}; }

TEST(RuntimeApi, SlotCommands) {
  using V = std::vector<std::string>;
  const Slot free_slot;
  const Slot a{ep("198.18.0.1", 80), false, ""}, a_not_ready{ep("198.18.0.1", 80, false), false, ""},
      a_draining{ep("198.18.0.1", 80), true, ""};
  EXPECT_EQ(
      slot_commands("b", "s0_1", free_slot, a, true),
      (V{"set server b/s0_1 addr 198.18.0.1 port 80", "set server b/s0_1 health up", "set server b/s0_1 state ready"}));
  EXPECT_EQ(slot_commands("b", "s0_1", free_slot, a, false),
            (V{"set server b/s0_1 addr 198.18.0.1 port 80", "set server b/s0_1 state ready"}));
  EXPECT_EQ(slot_commands("b", "s0_1", free_slot, a_not_ready, true),
            (V{"set server b/s0_1 addr 198.18.0.1 port 80", "set server b/s0_1 state maint"}));
  EXPECT_EQ(slot_commands("b", "s0_1", a, a_not_ready, true), (V{"set server b/s0_1 state drain"}));
  EXPECT_EQ(slot_commands("b", "s0_1", a_not_ready, a, true),
            (V{"set server b/s0_1 health up", "set server b/s0_1 state ready"}));
  EXPECT_EQ(slot_commands("b", "s0_1", a, a_draining, true), (V{"set server b/s0_1 state drain"}));
  EXPECT_EQ(slot_commands("b", "s0_1", a_draining, free_slot, true), (V{"set server b/s0_1 state maint"}));
  EXPECT_EQ(slot_commands("b", "s0_1", a_draining, a, true),
            (V{"set server b/s0_1 health up", "set server b/s0_1 state ready"}));
  EXPECT_EQ(slot_commands("b", "s0_1", a, a, true), V{});
}

TEST(RuntimeApi, DynamicServerCommands) {
  using V = std::vector<std::string>;
  const std::string options = "check ssl verify none";
  const Slot free_slot;
  const Slot t{ep("198.18.0.1", 80), false, "app.t1"}, t_not_ready{ep("198.18.0.1", 80, false), false, "app.t1"},
      t_draining{ep("198.18.0.1", 80), true, "app.t1"},
      v6{ServerEndpoint{"2001:db8::7", 8080, true, "t", true}, false, "t"};
  EXPECT_EQ(slot_commands("b", "app.t1", free_slot, t, true, &options),
            (V{"add server b/app.t1 198.18.0.1:80 check ssl verify none", "enable health b/app.t1",
               "set server b/app.t1 health up", "set server b/app.t1 state ready"}));
  const std::string none;
  EXPECT_EQ(slot_commands("b", "app.t1", free_slot, t, false, &none),
            (V{"add server b/app.t1 198.18.0.1:80", "set server b/app.t1 state ready"}));
  // Not ready: it stays in the maintenance it is created in, checks on.
  EXPECT_EQ(slot_commands("b", "app.t1", free_slot, t_not_ready, true, &options),
            (V{"add server b/app.t1 198.18.0.1:80 check ssl verify none", "enable health b/app.t1"}));
  EXPECT_EQ(slot_commands("b", "t", free_slot, v6, false, &none),
            (V{"add server b/t [2001:db8::7]:8080", "set server b/t state ready"}));
  // The rest is as for slots; a drained server is deleted after its maintenance.
  EXPECT_EQ(slot_commands("b", "app.t1", t, t_draining, true, &options), (V{"set server b/app.t1 state drain"}));
  EXPECT_EQ(slot_commands("b", "app.t1", t_draining, free_slot, true, &options),
            (V{"set server b/app.t1 state maint"}));
  EXPECT_EQ(del_server_command("b", "app.t1"), "del server b/app.t1");
  EXPECT_EQ(slot_commands("b", "app.t1", t_not_ready, t, true, &options),
            (V{"set server b/app.t1 health up", "set server b/app.t1 state ready"}));
}

}  // namespace
}  // namespace edgelb::haproxy

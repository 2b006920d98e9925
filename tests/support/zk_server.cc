#include "zk_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace edgelb::test {
namespace {

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// ZooKeeper's "ruok" four-letter word: "imok" once it serves.
bool ruok(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::write(fd, "ruok", 4) == 4) {
    char buf[8] = {};
    ok = ::read(fd, buf, 4) == 4 && std::string(buf, 4) == "imok";
  }
  ::close(fd);
  return ok;
}

std::string tail(const std::string& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}

}  // namespace

ZkServer::ZkServer() {
  char tmpl[] = "/tmp/edgelb-zk-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
  dir_ = tmpl;
  port_ = free_port();
  std::filesystem::create_directories(dir_ + "/data");
  std::ofstream cfg(dir_ + "/zoo.cfg");
  cfg << "tickTime=250\ndataDir=" << dir_ << "/data\nclientPort=" << port_
      << "\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\nminSessionTimeout=500\n"
         "maxSessionTimeout=60000\n4lw.commands.whitelist=ruok,stat,srvr\nmaxClientCnxns=200\n";
  cfg.close();
  start();
}

ZkServer::~ZkServer() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void ZkServer::start() {
  if (pid_ > 0) return;
  const std::string log = dir_ + "/server.log";
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // The server dies with the test process, also when a test crashes before ~ZkServer runs.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the test is already gone
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::unsetenv("ASAN_OPTIONS");
    ::unsetenv("LD_PRELOAD");
    const std::string logdir = "-Dzookeeper.log.dir=" + dir_;
    const std::string cfg = dir_ + "/zoo.cfg";
    ::execl("/usr/bin/java", "java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
            "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar", logdir.c_str(), "-Dzookeeper.root.logger=WARN,CONSOLE",
            "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!ruok(port_)) {
    int status;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("zookeeper exited during start:\n" + tail(log));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      stop();
      throw std::runtime_error("zookeeper did not answer ruok within 60 s:\n" + tail(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void ZkServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void ZkServer::expire_session(const clientid_t& id) const {
  for (int attempt = 0; attempt < 10; ++attempt) {
    zhandle_t* zh = zookeeper_init(hosts().c_str(), nullptr, 4000, &id, nullptr, 0);
    int state = 0;
    for (int i = 0; i < 1000; ++i) {  // up to 10 s: a loaded JVM answers slowly
      state = zoo_state(zh);
      if (state == ZOO_CONNECTED_STATE || state == ZOO_EXPIRED_SESSION_STATE) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    zookeeper_close(zh);  // when connected: ends the session on the server
    if (state == ZOO_EXPIRED_SESSION_STATE) return;
  }
  throw std::runtime_error("ZooKeeper session 0x" + std::to_string(id.client_id) + " did not expire");
}

}  // namespace edgelb::test

#include "haproxy/supervisor.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/read_file.h"
#include "haproxy/cli_socket.h"
#include "haproxy/config_check.h"
#include "haproxy/template_data.h"

extern char** environ;

namespace edgelb::haproxy {
namespace fs = std::filesystem;
namespace {

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A file that may not exist (yet): "".
std::string read_text(const std::string& path) { return cp::read_file_if_present(path).value_or(""); }

std::string exit_description(int status) {
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + strsignal(WTERMSIG(status));
  return "ended";
}

// A descriptor that becomes readable when `pid` exits (glibc 2.36's <sys/pidfd.h> lacks C++
// linkage, hence the raw system call).
int open_pidfd(int pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

constexpr off_t kLogRotateBytes = 8 << 20;

}  // namespace

const char* haproxy_state_name(HaproxyState s) {
  switch (s) {
    case HaproxyState::kStopped: return "stopped";
    case HaproxyState::kStarting: return "starting";
    case HaproxyState::kRunning: return "running";
    case HaproxyState::kReloadFailed: return "reload_failed";
    case HaproxyState::kRestarting: return "restarting";
  }
  return "unknown";
}

std::string config_hash(const std::string& config) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(config.data(), config.size(), md, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

Supervisor::Supervisor(SupervisorOptions options)
    : options_(std::move(options)),
      run_dir_(options_.instance_dir + "/run"),
      config_path_(options_.instance_dir + "/haproxy.cfg"),
      master_socket_(run_dir_ + "/master.sock"),
      stats_socket_(RenderSettings::under(options_.instance_dir).stats_socket),
      pid_path_(run_dir_ + "/master.pid"),
      log_path_(run_dir_ + "/haproxy.log"),
      state_path_(RenderSettings::under(options_.instance_dir).server_state_file),
      listeners_path_(run_dir_ + "/listeners.json") {
  listeners_.set_backlog(options_.listen_backlog);
}

Supervisor::~Supervisor() { stop(); }

RuntimeApi Supervisor::runtime_api() const { return RuntimeApi(stats_socket_); }
MasterCli Supervisor::master_cli() const { return MasterCli(master_socket_); }

void Supervisor::set_status(const std::function<void(SupervisorStatus&)>& f) {
  std::lock_guard<std::mutex> g(status_mu_);
  f(status_);
}

SupervisorStatus Supervisor::status() const {
  std::lock_guard<std::mutex> g(status_mu_);
  return status_;
}

void Supervisor::write_file_locked(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw SupervisorError("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw SupervisorError("cannot rename " + tmp + ": " + std::strerror(errno));
}

long Supervisor::log_size() const {
  struct stat st {};
  return stat(log_path_.c_str(), &st) == 0 ? static_cast<long>(st.st_size) : 0;
}

std::string Supervisor::log_alerts_since(long offset) const {
  std::ifstream in(log_path_, std::ios::binary);
  in.seekg(offset);
  std::string line, out;
  while (std::getline(in, line))
    if (line.find("[ALERT]") != std::string::npos) out += (out.empty() ? "" : "\n") + line;
  return out;
}

bool Supervisor::try_adopt_locked() {
  if (master_pid_ != 0) return true;
  std::ifstream in(pid_path_);
  int pid = 0;
  if (!(in >> pid) || pid <= 1) return false;
  std::string cmdline = read_text("/proc/" + std::to_string(pid) + "/cmdline");
  std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
  if (cmdline.find(master_socket_) == std::string::npos) return false;
  try {
    if (master_cli().show_proc().master.pid != pid) return false;
  } catch (const CliSocketError&) {
    return false;
  }
  int fd = open_pidfd(pid);
  if (fd < 0) return false;
  master_pid_ = pid;
  pidfd_ = fd;
  is_child_ = false;
  running_config_ = read_text(config_path_);
  inherited_.clear();
  try {
    const nlohmann::json saved = nlohmann::json::parse(read_text(listeners_path_));
    for (const auto& [bind, n] : saved.items()) inherited_[bind] = n.get<int>();
  } catch (const std::exception&) {
    // Started without inherited listeners (or by an older agent): it binds its own.
  }
  return true;
}

std::vector<int> Supervisor::inherited_numbers_locked() const {
  std::vector<int> out;
  for (const auto& [bind, n] : inherited_) out.push_back(n);
  return out;
}

void Supervisor::save_listeners_locked() {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [bind, n] : inherited_) j[bind] = n;
  write_file_locked(listeners_path_, j.dump() + "\n");
}

std::map<std::string, int> Supervisor::inherited_binds(const std::vector<std::string>& binds) {
  std::lock_guard<std::mutex> lk(mu_);
  if (master_pid_ == 0 && !monitor_.joinable() && !try_adopt_locked()) {
    // Before the first start: every bind that can listen gets a number.
    std::map<std::string, int> next;
    int n = ListenerSet::kFirstInheritedFd;
    for (const auto& b : binds) {
      if (next.count(b) || n >= ListenerSet::kFirstHeldFd) continue;
      if (listeners_.hold(b)) next[b] = n++;
    }
    inherited_ = std::move(next);
  }
  std::map<std::string, int> out;
  for (const auto& b : binds) {
    auto it = inherited_.find(b);
    if (it != inherited_.end()) out[b] = it->second;
  }
  return out;
}

void Supervisor::release_binds_except(const std::vector<std::string>& binds) {
  std::lock_guard<std::mutex> lk(mu_);
  const std::set<std::string> keep(binds.begin(), binds.end());
  bool changed = false;
  for (auto it = inherited_.begin(); it != inherited_.end();) {
    if (keep.count(it->first)) {
      ++it;
      continue;
    }
    listeners_.release(it->first);
    it = inherited_.erase(it);
    changed = true;
  }
  if (changed) save_listeners_locked();
}

void Supervisor::spawn_locked() {
  fs::create_directories(run_dir_);
  struct stat st {};
  if (stat(log_path_.c_str(), &st) == 0 && st.st_size > kLogRotateBytes)
    std::rename(log_path_.c_str(), (log_path_ + ".1").c_str());
  spawn_log_offset_ = log_size();
  int logfd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (logfd < 0) throw SupervisorError("cannot open " + log_path_ + ": " + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  // stdout: HAProxy's own log file, or ours when the access log goes to stdout (the journal).
  if (!options_.stdout_is_ours) posix_spawn_file_actions_adddup2(&actions, logfd, 1);
  posix_spawn_file_actions_adddup2(&actions, logfd, 2);
  for (const auto& [bind, n] : inherited_) {  // an adopted master's listeners are opened again here
    std::string error;
    if (auto fd = listeners_.hold(bind, &error))
      posix_spawn_file_actions_adddup2(&actions, *fd, n);
    else
      std::fprintf(stderr, "edgelb-agent: listener %s\n", error.c_str());
  }
  save_listeners_locked();
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  // Its own session: a signal to the agent's process group does not reach HAProxy.
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> argv = {options_.haproxy_binary,     "-W", "-db", "-f", config_path_, "-S",
                                   master_socket_ + ",mode,600"};
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  close(logfd);
  if (rc != 0) throw SupervisorError("cannot start " + options_.haproxy_binary + ": " + std::strerror(rc));
  master_pid_ = pid;
  is_child_ = true;
  pidfd_ = open_pidfd(pid);
  write_file_locked(pid_path_, std::to_string(pid) + "\n");
  set_status([&](SupervisorStatus& s) {
    s.master_pid = pid;
    s.adopted = false;
  });
}

void Supervisor::wait_started_locked(int pid) {
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (is_child_ && waitpid(pid, &status, WNOHANG) == pid) {
      if (pidfd_ >= 0) close(pidfd_);
      pidfd_ = -1;
      master_pid_ = 0;
      std::string alerts = log_alerts_since(spawn_log_offset_);
      throw SupervisorError("HAProxy " + exit_description(status) + " while starting" +
                            (alerts.empty() ? "" : ":\n" + alerts));
    }
    try {
      ProcList p = master_cli().show_proc();
      if (p.master.pid == pid && !p.workers.empty()) return;
    } catch (const CliSocketError&) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  throw SupervisorError("HAProxy did not report a worker within " + std::to_string(options_.start_timeout.count()) +
                        " ms");
}

void Supervisor::start(const std::string& config) {
  std::unique_lock<std::mutex> lk(mu_);
  if (monitor_.joinable()) throw SupervisorError("already started");
  fs::create_directories(run_dir_);
  fs::permissions(run_dir_, fs::perms::owner_all, fs::perm_options::replace);
  write_file_locked(RenderSettings::under(options_.instance_dir).getconfig_lua, kGetConfigLua);
  stopping_ = false;
  if (try_adopt_locked()) {
    set_status([&](SupervisorStatus& s) {
      s.state = HaproxyState::kRunning;
      s.master_pid = master_pid_;
      s.adopted = true;
      s.config_hash = config_hash(running_config_);
    });
    monitor_ = std::thread([this] { monitor(); });
    const bool differs = running_config_ != config;
    lk.unlock();
    if (differs) {
      ReloadResult r = reload(config);
      if (!r.ok) throw SupervisorError("adopted HAProxy, but the new configuration failed: " + r.error);
    }
    return;
  }
  set_status([](SupervisorStatus& s) { s.state = HaproxyState::kStarting; });
  const std::string candidate = config_path_ + ".new";
  write_file_locked(candidate, config);
  CheckResult check =
      check_config_file(options_.haproxy_binary, candidate, std::chrono::seconds(20), inherited_numbers_locked());
  if (!check.ok) {
    std::remove(candidate.c_str());
    set_status([&](SupervisorStatus& s) {
      s.state = HaproxyState::kStopped;
      s.error = check.errors;
    });
    throw SupervisorError("HAProxy refuses the configuration:\n" + check.errors);
  }
  std::rename(candidate.c_str(), config_path_.c_str());
  running_config_ = config;
  try {
    spawn_locked();
    wait_started_locked(master_pid_);
  } catch (const SupervisorError& e) {
    set_status([&](SupervisorStatus& s) {
      s.state = HaproxyState::kStopped;
      s.error = e.what();
    });
    throw;
  }
  set_status([&](SupervisorStatus& s) {
    s.state = HaproxyState::kRunning;
    s.error.clear();
    s.config_hash = config_hash(config);
    s.last_reload_unix_ms = unix_ms();
  });
  monitor_ = std::thread([this] { monitor(); });
}

ReloadResult Supervisor::reload(const std::string& config) {
  std::lock_guard<std::mutex> lk(mu_);
  ReloadResult r;
  auto failed = [&](const std::string& error) {
    r.error = error;
    set_status([&](SupervisorStatus& s) {
      s.reload_failures++;
      s.error = error;
      if (s.state == HaproxyState::kRunning) s.state = HaproxyState::kReloadFailed;
    });
    return r;
  };
  const std::string candidate = config_path_ + ".new";
  write_file_locked(candidate, config);
  CheckResult check =
      check_config_file(options_.haproxy_binary, candidate, std::chrono::seconds(20), inherited_numbers_locked());
  if (!check.ok) {
    std::remove(candidate.c_str());
    return failed("HAProxy refuses the configuration (nothing changed):\n" + check.errors);
  }
  r.validated = true;
  const std::string previous = running_config_;
  std::rename(candidate.c_str(), config_path_.c_str());
  if (master_pid_ == 0) {
    // Down and being restarted by the monitor: it starts with this file.
    running_config_ = config;
    return failed("HAProxy is not running; it will start with the new configuration");
  }
  try {
    write_file_locked(state_path_, carry_over_server_state(runtime_api().servers_state_text(), config));
  } catch (const std::exception&) {
    // No runtime state to carry over (the worker is busy or gone): reload anyway.
  }
  const long offset = log_size();
  ReloadOutcome outcome;
  try {
    outcome = master_cli().reload_and_confirm(options_.reload_timeout);
  } catch (const CliSocketError& e) {
    outcome.detail = e.what();
  }
  if (!outcome.confirmed) {
    write_file_locked(config_path_, previous);
    std::string alerts = log_alerts_since(offset);
    return failed("reload failed: " + outcome.detail + (alerts.empty() ? "" : "\n" + alerts));
  }
  running_config_ = config;
  r.ok = true;
  set_status([&](SupervisorStatus& s) {
    s.reloads++;
    s.state = HaproxyState::kRunning;
    s.error.clear();
    s.config_hash = config_hash(config);
    s.last_reload_unix_ms = unix_ms();
  });
  return r;
}

void Supervisor::write_config(const std::string& config) {
  std::lock_guard<std::mutex> lk(mu_);
  write_file_locked(config_path_, config);
  running_config_ = config;
  set_status([&](SupervisorStatus& s) { s.config_hash = config_hash(config); });
}

RuntimeResult Supervisor::runtime(const std::vector<std::string>& commands) {
  std::lock_guard<std::mutex> lk(mu_);
  RuntimeResult r;
  if (commands.empty()) return r;
  try {
    r = runtime_api().run(commands);
  } catch (const CliSocketError& e) {
    r.ok = false;
    r.errors = e.what();
  }
  set_status([&](SupervisorStatus& s) {
    s.runtime_batches++;
    if (!r.ok) s.runtime_failures++;
  });
  return r;
}

void Supervisor::monitor() {
  auto backoff = options_.restart_backoff_min;
  auto up_since = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lk(mu_);
  while (!stopping_) {
    if (pidfd_ >= 0) {
      const int fd = pidfd_;
      lk.unlock();
      pollfd p{fd, POLLIN, 0};
      int n = poll(&p, 1, 200);
      lk.lock();
      if (stopping_) break;
      if (fd != pidfd_) continue;
      if (n <= 0) {
        if (std::chrono::steady_clock::now() - up_since > std::chrono::seconds(10))
          backoff = options_.restart_backoff_min;
        continue;
      }
      int status = 0;
      std::string how = "exited";
      if (is_child_ && waitpid(master_pid_, &status, 0) == master_pid_) how = exit_description(status);
      close(pidfd_);
      pidfd_ = -1;
      const int pid = master_pid_;
      master_pid_ = 0;
      set_status([&](SupervisorStatus& s) {
        s.state = HaproxyState::kRestarting;
        s.master_pid = 0;
        s.error = "HAProxy master " + std::to_string(pid) + " " + how;
      });
    }
    wake_.wait_for(lk, backoff, [&] { return stopping_.load(); });
    if (stopping_) break;
    try {
      running_config_ = read_text(config_path_);
      spawn_locked();
      wait_started_locked(master_pid_);
      up_since = std::chrono::steady_clock::now();
      set_status([&](SupervisorStatus& s) {
        s.restarts++;
        s.state = HaproxyState::kRunning;
        s.error.clear();
        s.config_hash = config_hash(running_config_);
      });
    } catch (const std::exception& e) {
      backoff = std::min(backoff * 2, options_.restart_backoff_max);
      set_status([&](SupervisorStatus& s) {
        s.restarts++;
        s.error = std::string("restart failed: ") + e.what();
      });
    }
  }
}

void Supervisor::stop(bool stop_haproxy) {
  stopping_ = true;
  wake_.notify_all();
  if (monitor_.joinable()) monitor_.join();
  std::lock_guard<std::mutex> lk(mu_);
  if (master_pid_ != 0 && stop_haproxy) {
    kill(master_pid_, SIGTERM);  // hard stop: the master terminates its workers
    bool gone = false;
    if (pidfd_ >= 0) {
      pollfd p{pidfd_, POLLIN, 0};
      gone = poll(&p, 1, 5000) > 0;
    }
    if (!gone) kill(master_pid_, SIGKILL);
    if (is_child_) waitpid(master_pid_, nullptr, 0);
    std::remove(pid_path_.c_str());
    master_pid_ = 0;
    // Nobody serves these any more: refuse, rather than queue, what comes.
    for (const auto& [bind, n] : inherited_) listeners_.release(bind);
    inherited_.clear();
  }
  if (pidfd_ >= 0) close(pidfd_);
  pidfd_ = -1;
  set_status([&](SupervisorStatus& s) {
    if (stop_haproxy) {
      s.state = HaproxyState::kStopped;
      s.master_pid = 0;
    }
  });
}

}  // namespace edgelb::haproxy

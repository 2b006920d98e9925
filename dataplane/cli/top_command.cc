#include "cli/top_command.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "rpc/rpc_error.h"

namespace edgelb::top {
namespace {

using Clock = std::chrono::steady_clock;

volatile std::sig_atomic_t g_quit = 0;
void on_signal(int) { g_quit = 1; }

// The terminal in raw mode on the alternate screen for the life of this object; restored on
// every way out (return, exception, SIGINT/SIGTERM through g_quit).
class Terminal {
 public:
  Terminal() {
    if (tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios raw = saved_;
      raw.c_lflag &= tcflag_t(~(ICANON | ECHO));
      raw.c_cc[VMIN] = 0;
      raw.c_cc[VTIME] = 0;
      raw_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    std::fputs("\x1b[?1049h\x1b[?25l", stdout);  // alternate screen, cursor hidden
    std::fflush(stdout);
  }
  ~Terminal() {
    std::fputs("\x1b[?25h\x1b[?1049l", stdout);
    std::fflush(stdout);
    if (raw_) tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
  }
  static void size(int* width, int* height) {
    winsize ws{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col && ws.ws_row) {
      *width = ws.ws_col;
      *height = ws.ws_row;
    } else {
      *width = 132;
      *height = 50;
    }
  }
  static void draw(const std::vector<std::string>& lines) {
    std::string out = "\x1b[H";
    for (const auto& l : lines) out += l + "\x1b[K\r\n";
    out += "\x1b[J";
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
  }
  // Waits up to `ms` for a key; 0 when none came.
  static int key(int ms) {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0) return 0;
    unsigned char c = 0;
    return read(STDIN_FILENO, &c, 1) == 1 ? c : 0;
  }

 private:
  termios saved_{};
  bool raw_ = false;
};

struct Sample {
  nlohmann::json doc;
  Clock::time_point at;
};

grpc::Status sample(ControlClient& client, Sample* out) {
  dataplane::v1::Stats st;
  grpc::Status s = client.get_stats(&st);
  if (!s.ok()) return s;
  out->doc = nlohmann::json::parse(st.json());
  out->at = Clock::now();
  return s;
}

int failed(const grpc::Status& s) {
  std::fprintf(stderr, "edgelb-dpctl top: %s\n", s.error_message().c_str());
  return rpc::exit_code(s.error_code());
}

// Frames to stdout, no terminal control: --once, --iterations, or stdout not a terminal.
int run_batch(ControlClient& client, const Options& o) {
  Sample before, after;
  if (auto s = sample(client, &before); !s.ok()) return failed(s);
  const uint32_t frames = o.once ? 1 : o.iterations;
  for (uint32_t n = 0; !g_quit && (frames == 0 || n < frames); ++n) {
    std::this_thread::sleep_for(std::chrono::duration<double>(o.interval_s));
    if (g_quit) break;
    if (auto s = sample(client, &after); !s.ok()) return failed(s);
    View v = compute(before.doc, after.doc, std::chrono::duration<double>(after.at - before.at).count());
    arrange(v, o.sort, o.filter);
    if (o.json) {
      std::cout << to_json(v).dump() << "\n";
    } else {
      if (n) std::cout << "\n";
      for (const auto& l : render(v, o.sort, o.filter, "", 200, 0)) std::cout << l << "\n";
    }
    std::cout.flush();
    before = std::move(after);
  }
  return 0;
}

int run_interactive(ControlClient& client, const Options& o) {
  Sample before, after;
  if (auto s = sample(client, &before); !s.ok()) return failed(s);
  Terminal term;
  SortKey sort = o.sort;
  std::string filter = o.filter, typing;
  bool editing = false;
  std::string problem;
  View last = compute(before.doc, before.doc, o.interval_s);  // totals, no rates yet
  bool sampling = true;
  Clock::time_point next =
      before.at + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.interval_s));
  for (;;) {
    int width = 0, height = 0;
    Terminal::size(&width, &height);
    std::string status =
        editing ? "filter: " + typing + "_  (Enter keeps, Esc clears)" : "q quit  p/b/n/a/o sort  / filter";
    if (sampling) status += "  (sampling)";
    if (!problem.empty()) status += "  [" + problem + "]";
    View shown = last;
    arrange(shown, sort, editing ? typing : filter);
    Terminal::draw(render(shown, sort, editing ? typing : filter, status, width, height));
    // Keys until the next sample is due.
    bool refresh = false;
    while (!g_quit && !refresh) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now()).count();
      if (left <= 0) break;
      const int c = Terminal::key(int(std::min<long long>(left, 100)));
      if (!c) continue;
      if (editing) {
        if (c == '\n' || c == '\r') {
          filter = typing, editing = false;
        } else if (c == 27) {
          filter.clear(), typing.clear(), editing = false;
        } else if (c == 127 || c == 8) {
          if (!typing.empty()) typing.pop_back();
        } else if (c >= 32 && c < 127) {
          typing += char(c);
        }
        refresh = true;  // redraw with what was typed
        break;
      }
      switch (c) {
        case 'q': return 0;
        case 'p': sort = SortKey::kPps; break;
        case 'b': sort = SortKey::kBps; break;
        case 'n': sort = SortKey::kNewFlows; break;
        case 'a': sort = SortKey::kActiveFlows; break;
        case 'o': sort = SortKey::kName; break;
        case '/': editing = true, typing = filter; break;
        case ' ': next = Clock::now(); break;
        default: continue;
      }
      refresh = true;
    }
    if (g_quit) return 0;
    if (Clock::now() < next) continue;  // a key: redraw the same sample
    next = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.interval_s));
    if (auto s = sample(client, &after); !s.ok()) {
      problem = "dataplane unavailable: " + s.error_message() + "; retrying";
      continue;
    }
    problem.clear();
    sampling = false;
    last = compute(before.doc, after.doc, std::chrono::duration<double>(after.at - before.at).count());
    before = std::move(after);
  }
}

}  // namespace

int run(ControlClient& client, const Options& options) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  if (options.once || options.json || options.iterations || !isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO))
    return run_batch(client, options);
  return run_interactive(client, options);
}

}  // namespace edgelb::top

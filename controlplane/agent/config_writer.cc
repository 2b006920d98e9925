#include "agent/config_writer.h"

namespace edgelb::cp {

ConfigWriter::ConfigWriter(Write write, std::chrono::milliseconds min_interval)
    : write_(std::move(write)), min_interval_(min_interval) {
  thread_ = std::thread([this] { run(); });
}

ConfigWriter::~ConfigWriter() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
    pending_ = nullptr;
  }
  cv_.notify_all();
  thread_.join();
}

void ConfigWriter::request(Render render) {
  {
    std::lock_guard<std::mutex> g(mu_);
    pending_ = std::move(render);
  }
  cv_.notify_all();
}

std::unique_lock<std::mutex> ConfigWriter::hold() {
  std::unique_lock<std::mutex> lk(mu_);
  ++generation_;
  pending_ = nullptr;
  return lk;
}

void ConfigWriter::flush() {
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait(lk, [&] { return !pending_ && !busy_; });
}

uint64_t ConfigWriter::writes() const {
  std::lock_guard<std::mutex> g(mu_);
  return writes_;
}

void ConfigWriter::run() {
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    cv_.wait(lk, [&] { return stop_ || pending_; });
    if (stop_) return;
    // Rate limit: what arrives meanwhile replaces the pending request.
    cv_.wait_until(lk, last_write_ + min_interval_, [&] { return stop_ || !pending_; });
    if (stop_) return;
    if (!pending_) continue;  // voided by hold()
    Render render = std::move(pending_);
    pending_ = nullptr;
    const uint64_t generation = generation_;
    busy_ = true;
    lk.unlock();
    std::string text;
    bool ok = true;
    try {
      text = render();
    } catch (const std::exception&) {
      ok = false;  // the reconcile loop renders the same state on its next reload and reports it
    }
    lk.lock();
    if (ok && generation == generation_ && !stop_) {
      try {
        write_(text);
        ++writes_;
      } catch (const std::exception&) {
      }
    }
    busy_ = false;
    last_write_ = std::chrono::steady_clock::now();
    cv_.notify_all();
  }
}

}  // namespace edgelb::cp

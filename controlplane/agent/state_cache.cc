#include "agent/state_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "common/read_file.h"

namespace edgelb::cp {
namespace fs = std::filesystem;

void write_file_atomic(const std::string& path, const std::string& text, unsigned mode) {
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(errno));
  fchmod(fd, mode);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      close(fd);
      throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(e));
    }
    done += static_cast<size_t>(n);
  }
  fsync(fd);
  close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot rename " + tmp + ": " + std::strerror(errno));
}

StateCache::StateCache(std::string state_dir) : dir_(std::move(state_dir)) {}

std::string StateCache::instance_dir(const std::string& pool) const { return dir_ + "/pools/" + pool; }

void StateCache::save(const CachedInstance& c) const {
  const std::string dir = instance_dir(c.inputs.name);
  fs::create_directories(dir);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace);
  nlohmann::json endpoints = nlohmann::json::object();
  for (const auto& [path, servers] : c.endpoints) {
    auto& a = endpoints[path] = nlohmann::json::array();
    for (const auto& s : servers)
      a.push_back(
          {{"address", s.address}, {"port", s.port}, {"ipv6", s.ipv6}, {"taskId", s.task_id}, {"ready", s.ready}});
  }
  nlohmann::json j = {{"inputs", c.inputs.to_json()},
                      {"endpoints", endpoints},
                      {"allocatedPorts", c.allocated_ports},
                      {"slot", c.slot ? nlohmann::json(*c.slot) : nlohmann::json(nullptr)},
                      {"savedAtMs", std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count()}};
  write_file_atomic(dir + "/state.json", j.dump(), 0600);
}

std::vector<CachedInstance> StateCache::load_all(std::vector<std::string>* errors) const {
  std::vector<CachedInstance> out;
  std::error_code ec;
  if (!fs::is_directory(dir_ + "/pools", ec)) return out;
  for (const auto& entry : fs::directory_iterator(dir_ + "/pools", ec)) {
    const std::string file = entry.path().string() + "/state.json";
    if (!fs::exists(file)) continue;
    try {
      auto j = nlohmann::json::parse(read_file(file, "cached state"));
      CachedInstance c;
      c.inputs = PoolInputs::from_json(j.at("inputs"));
      for (auto it = j.at("endpoints").begin(); it != j.at("endpoints").end(); ++it)
        for (const auto& s : it.value())
          c.endpoints[it.key()].push_back({s.at("address").get<std::string>(), s.at("port").get<uint32_t>(),
                                           s.at("ipv6").get<bool>(), s.at("taskId").get<std::string>(),
                                           s.at("ready").get<bool>()});
      c.allocated_ports = j.at("allocatedPorts").get<std::map<std::string, uint32_t>>();
      if (j.at("slot").is_number_integer()) c.slot = j.at("slot").get<int>();
      c.saved_at_unix_ms = j.at("savedAtMs").get<int64_t>();
      out.push_back(std::move(c));
    } catch (const std::exception& e) {
      if (errors) errors->push_back(file + ": " + e.what());
    }
  }
  return out;
}

void StateCache::remove(const std::string& pool) const {
  std::error_code ec;
  fs::remove_all(instance_dir(pool), ec);
}

}  // namespace edgelb::cp

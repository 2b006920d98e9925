// Reads a whole file (certificates, keys, pool files, tokens, configs, state). read_file()
// throws std::runtime_error "cannot read <what> <path>" when it cannot; read_file_if_present()
// gives nullopt instead (a file that may not exist yet); read_trimmed_file() drops trailing
// line ends and spaces (one-line secrets: ZooKeeper digests). Header-only; thread-safe.
#pragma once

#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace edgelb::cp {

inline std::string read_file(const std::string& path, const std::string& what = "") {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + (what.empty() ? "" : what + " ") + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::optional<std::string> read_file_if_present(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string read_trimmed_file(const std::string& path, const std::string& what = "") {
  std::string s = read_file(path, what);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace edgelb::cp

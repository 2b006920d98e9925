// Reads a whole file (certificates, keys, pool files, tokens). Throws std::runtime_error
// "cannot read <what> <path>" when it cannot. Header-only; thread-safe.
#pragma once

#include <fstream>
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

}  // namespace edgelb::cp

// Recorded test inputs kept in the repository under tests/fixtures (tests/fixtures/README.md
// gives their origin). The folder comes from the compile definition EDGELB_FIXTURES_DIR, set by
// the `edgelb_test_fixtures` target. A missing file or folder throws std::runtime_error naming
// the path: GoogleTest reports it as that test's failure, and no test reads past a missing input.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace edgelb::test {

// `relative` is below tests/fixtures, e.g. "mesos/real/task_added.json".
inline std::string fixture_path(const std::string& relative) {
  return std::string(EDGELB_FIXTURES_DIR) + "/" + relative;
}

// The whole file, bytes as they are.
inline std::string read_file_or_throw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read test input " + path + " (see tests/fixtures/README.md)");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string read_fixture(const std::string& relative) { return read_file_or_throw(fixture_path(relative)); }

// The files of a fixture folder whose names end with `extension` (".json"), sorted by name;
// throws when the folder is missing or holds none.
inline std::vector<std::string> fixture_files(const std::string& relative_dir, const std::string& extension) {
  const std::string dir = fixture_path(relative_dir);
  std::error_code ec;
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec))
    if (e.path().extension() == extension) files.push_back(e.path().string());
  if (ec || files.empty())
    throw std::runtime_error("no " + extension + " test inputs in " + dir + " (see tests/fixtures/README.md)");
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace edgelb::test

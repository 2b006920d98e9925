// Encryption at rest for secrets (TLS private keys) stored in ZooKeeper: AES-256-GCM with a
// 32-byte key read from a file, a fresh 96-bit random nonce per seal, and the znode path as
// additional authenticated data, so a blob copied to another znode does not open.
//
// Sealed format: "EGB1" | nonce (12) | ciphertext | tag (16).
// The key never leaves this object and is wiped on destruction; nothing here logs.
// Thread-safe after construction.
#pragma once

#include <array>
#include <optional>
#include <string>

namespace edgelb::cp {

class SecretBox {
 public:
  // The key file holds 32 raw bytes, or 64 hex digits (whitespace ignored).
  // Throws std::runtime_error naming the file when it is missing or malformed, or when it is
  // readable by group/others (mode must be 0600 or stricter).
  static SecretBox from_file(const std::string& path);
  explicit SecretBox(const std::array<unsigned char, 32>& key) : key_(key) {}
  ~SecretBox();
  SecretBox(const SecretBox&) = default;
  SecretBox& operator=(const SecretBox&) = default;

  std::string seal(const std::string& plaintext, const std::string& aad) const;
  // nullopt when the blob is malformed, was sealed with another key, or for another `aad`.
  std::optional<std::string> open(const std::string& sealed, const std::string& aad) const;

  // Writes a new random key file (mode 0600, hex); throws if it exists.
  static void generate_key_file(const std::string& path);

 private:
  std::array<unsigned char, 32> key_;
};

}  // namespace edgelb::cp

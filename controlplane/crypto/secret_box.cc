#include "crypto/secret_box.h"

#include "common/hex.h"
#include "common/read_file.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace edgelb::cp {
namespace {

constexpr char kMagic[] = "EGB1";
constexpr size_t kMagicLen = 4, kNonceLen = 12, kTagLen = 16;

using Ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

}  // namespace

SecretBox::~SecretBox() { OPENSSL_cleanse(key_.data(), key_.size()); }

SecretBox SecretBox::from_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("secret key file " + path + ": cannot stat");
  if (st.st_mode & 077)
    throw std::runtime_error("secret key file " + path + " is readable by group or others (chmod 600 it)");
  std::string raw = read_file(path, "secret key file");
  std::array<unsigned char, 32> key{};
  std::string hex;
  for (char c : raw)
    if (!std::isspace(static_cast<unsigned char>(c))) hex += c;
  if (raw.size() == 32 && hex.size() != 64) {
    std::copy(raw.begin(), raw.end(), key.begin());
  } else if (hex.size() == 64 && hex.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos) {
    for (size_t i = 0; i < 32; ++i) key[i] = static_cast<unsigned char>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  } else {
    OPENSSL_cleanse(raw.data(), raw.size());
    throw std::runtime_error("secret key file " + path + ": expected 32 raw bytes or 64 hex digits");
  }
  OPENSSL_cleanse(raw.data(), raw.size());
  OPENSSL_cleanse(hex.data(), hex.size());
  SecretBox box(key);
  OPENSSL_cleanse(key.data(), key.size());
  return box;
}

void SecretBox::generate_key_file(const std::string& path) {
  unsigned char key[32];
  if (RAND_bytes(key, sizeof key) != 1) throw std::runtime_error("secret key: no randomness");
  std::string hex = to_hex(key, sizeof key) + "\n";
  OPENSSL_cleanse(key, sizeof key);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) throw std::runtime_error("secret key file " + path + ": cannot create (exists?)");
  bool ok = ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size());
  ::close(fd);
  OPENSSL_cleanse(hex.data(), hex.size());
  if (!ok) throw std::runtime_error("secret key file " + path + ": write failed");
}

std::string SecretBox::seal(const std::string& plaintext, const std::string& aad) const {
  std::string out(kMagic, kMagicLen);
  unsigned char nonce[kNonceLen];
  if (RAND_bytes(nonce, sizeof nonce) != 1) throw std::runtime_error("secret seal: no randomness");
  out.append(reinterpret_cast<char*>(nonce), kNonceLen);
  Ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int n = 0;
  std::string ct(plaintext.size(), '\0');
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(ct.data()), &n,
                        reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), nullptr, &n) != 1)
    throw std::runtime_error("secret seal: AES-256-GCM failed");
  unsigned char tag[kTagLen];
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagLen, tag) != 1)
    throw std::runtime_error("secret seal: no GCM tag");
  out += ct;
  out.append(reinterpret_cast<char*>(tag), kTagLen);
  return out;
}

std::optional<std::string> SecretBox::open(const std::string& sealed, const std::string& aad) const {
  if (sealed.size() < kMagicLen + kNonceLen + kTagLen || sealed.compare(0, kMagicLen, kMagic) != 0) return std::nullopt;
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data() + kMagicLen);
  const size_t ct_len = sealed.size() - kMagicLen - kNonceLen - kTagLen;
  const auto* ct = nonce + kNonceLen;
  std::string tag = sealed.substr(sealed.size() - kTagLen);
  Ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::string pt(ct_len, '\0');
  int n = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(pt.data()), &n, ct, static_cast<int>(ct_len)) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagLen, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), nullptr, &n) != 1) {
    OPENSSL_cleanse(pt.data(), pt.size());
    return std::nullopt;
  }
  return pt;
}

}  // namespace edgelb::cp

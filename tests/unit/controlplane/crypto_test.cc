// Secrets at rest and certificates, directly: AES-256-GCM seals that open only with the same key
// and the same znode path, tampering detected, key files checked for mode and shape; X.509
// certificates verified with OpenSSL against their CA, with the requested SANs, OU and usage.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "crypto/secret_box.h"
#include "crypto/x509_issuer.h"

namespace edgelb::cp {
namespace {

std::array<unsigned char, 32> key(unsigned char seed) {
  std::array<unsigned char, 32> k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<unsigned char>(seed + 3 * i);
  return k;
}

TEST(SecretBox, OpensOnlyWithTheKeyAndThePathItWasSealedFor) {
  const SecretBox box(key(1)), other(key(2));
  const std::string secret = "-----BEGIN PRIVATE KEY-----\nnot really\n-----END PRIVATE KEY-----\n";
  const std::string sealed = box.seal(secret, "/edgelb/secrets/web");
  EXPECT_EQ(sealed.substr(0, 4), "EGB1");
  EXPECT_EQ(sealed.size(), 4 + 12 + secret.size() + 16);
  EXPECT_EQ(sealed.find("not really"), std::string::npos);
  EXPECT_EQ(box.open(sealed, "/edgelb/secrets/web"), secret);
  EXPECT_EQ(box.open(sealed, "/edgelb/secrets/api"), std::nullopt);  // copied to another znode
  EXPECT_EQ(other.open(sealed, "/edgelb/secrets/web"), std::nullopt);
  EXPECT_NE(box.seal(secret, "/edgelb/secrets/web"), sealed);  // a fresh nonce every time
  for (size_t at : {size_t(5), size_t(20), sealed.size() - 1}) {
    std::string tampered = sealed;
    tampered[at] = char(tampered[at] ^ 0x01);
    EXPECT_EQ(box.open(tampered, "/edgelb/secrets/web"), std::nullopt) << at;
  }
  EXPECT_EQ(box.open("EGB1short", "/x"), std::nullopt);
  EXPECT_EQ(box.open("", "/x"), std::nullopt);
  EXPECT_EQ(box.open(box.seal("", "/x"), "/x"), "");
}

TEST(SecretBox, KeyFilesAreCheckedForShapeAndMode) {
  const std::string dir = std::filesystem::temp_directory_path() / ("edgelb-crypto-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/secret.key";
  SecretBox::generate_key_file(path);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const SecretBox box = SecretBox::from_file(path);
  EXPECT_EQ(box.open(box.seal("x", "/a"), "/a"), "x");
  EXPECT_THROW(SecretBox::generate_key_file(path), std::runtime_error);  // never overwrites a key
  ::chmod(path.c_str(), 0644);
  EXPECT_THROW(SecretBox::from_file(path), std::runtime_error);  // readable by others
  std::ofstream(dir + "/short.key") << "abcd";
  ::chmod((dir + "/short.key").c_str(), 0600);
  EXPECT_THROW(SecretBox::from_file(dir + "/short.key"), std::runtime_error);
  EXPECT_THROW(SecretBox::from_file(dir + "/missing.key"), std::runtime_error);
  std::filesystem::remove_all(dir);
}

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
X509Ptr load(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())), BIO_free);
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
}

// OpenSSL's own chain verification of `cert` against `ca`, for `purpose`.
bool verifies(const std::string& cert, const std::string& ca, int purpose) {
  X509Ptr c = load(cert), a = load(ca);
  if (!c || !a) return false;
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  X509_STORE_add_cert(store.get(), a.get());
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> ctx(X509_STORE_CTX_new(), X509_STORE_CTX_free);
  X509_STORE_CTX_init(ctx.get(), store.get(), c.get(), nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  return X509_verify_cert(ctx.get()) == 1;
}

TEST(X509Issuer, CertificatesVerifyAgainstTheirCaWithTheirNamesAndUsage) {
  CertRequest ca_req;
  ca_req.common_name = "test CA";
  ca_req.usage = CertRequest::Usage::kCa;
  const KeyAndCert ca = self_signed(ca_req);
  CertRequest server;
  server.common_name = "edgelb-apiserver";
  server.dns_names = {"localhost", "api.example"};
  server.ip_addresses = {"127.0.0.1", "2001:db8::2"};
  server.usage = CertRequest::Usage::kServer;
  const KeyAndCert s = issue(server, ca);
  CertRequest client;
  client.common_name = "edgelb-operator";
  client.organizational_unit = "operator";
  client.usage = CertRequest::Usage::kClient;
  const KeyAndCert c = issue(client, ca);

  EXPECT_TRUE(verifies(s.cert_pem, ca.cert_pem, X509_PURPOSE_SSL_SERVER));
  EXPECT_FALSE(verifies(s.cert_pem, ca.cert_pem, X509_PURPOSE_SSL_CLIENT));  // a server cert only
  EXPECT_TRUE(verifies(c.cert_pem, ca.cert_pem, X509_PURPOSE_SSL_CLIENT));
  const KeyAndCert stranger_ca = self_signed(ca_req);
  EXPECT_FALSE(verifies(c.cert_pem, stranger_ca.cert_pem, X509_PURPOSE_SSL_CLIENT));

  EXPECT_EQ(read_subject(c.cert_pem).organizational_unit, "operator");
  EXPECT_EQ(read_subject(c.cert_pem).common_name, "edgelb-operator");
  EXPECT_EQ(read_subject("garbage").common_name, "");
  X509Ptr cert = load(s.cert_pem);
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_check_host(cert.get(), "api.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "other.example", 0, 0, nullptr), 0);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "2001:db8::2", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.2", 0), 0);
  // Serial numbers are random: two certificates for the same request differ.
  X509Ptr again = load(issue(server, ca).cert_pem);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(cert.get()), X509_get0_serialNumber(again.get())), 0);
  // The private key is PKCS#8 PEM.
  EXPECT_EQ(s.key_pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
}

}  // namespace
}  // namespace edgelb::cp

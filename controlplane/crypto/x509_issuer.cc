#include "crypto/x509_issuer.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>

namespace edgelb::cp {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

[[noreturn]] void fail(const std::string& what) {
  char buf[256] = "unknown error";
  if (unsigned long e = ERR_get_error()) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  throw std::runtime_error("x509: " + what + ": " + buf);
}

Key new_key() {
  Key k(EVP_EC_gen("P-256"));
  if (!k) fail("EC key generation");
  return k;
}

std::string to_pem(EVP_PKEY* key) {
  Bio b(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_PrivateKey(b.get(), key, nullptr, nullptr, 0, nullptr, nullptr)) fail("key to PEM");
  char* data = nullptr;
  long n = BIO_get_mem_data(b.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}
std::string to_pem(X509* cert) {
  Bio b(BIO_new(BIO_s_mem()));
  if (!PEM_write_bio_X509(b.get(), cert)) fail("certificate to PEM");
  char* data = nullptr;
  long n = BIO_get_mem_data(b.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}
Key key_from_pem(const std::string& pem) {
  Bio b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Key k(PEM_read_bio_PrivateKey(b.get(), nullptr, nullptr, nullptr));
  if (!k) fail("reading the CA key");
  return k;
}
Cert cert_from_pem(const std::string& pem) {
  Bio b(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Cert(PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr));
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) fail("extension " + std::string(OBJ_nid2sn(nid)) + "=" + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

KeyAndCert make(const CertRequest& req, X509* issuer_cert, EVP_PKEY* issuer_key) {
  Key key = new_key();
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) fail("random serial");
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300);
  X509_time_adj_ex(X509_getm_notAfter(cert.get()), req.validity_days, 0, nullptr);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  auto add_name = [&](const char* field, const std::string& v) {
    if (!v.empty() && !X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                                  reinterpret_cast<const unsigned char*>(v.c_str()), -1, -1, 0))
      fail(std::string("subject ") + field);
  };
  add_name("O", "edgelb");
  add_name("OU", req.organizational_unit);
  add_name("CN", req.common_name);
  X509* issuer = issuer_cert ? issuer_cert : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer));
  EVP_PKEY* signer = issuer_key ? issuer_key : key.get();
  if (req.is_ca || req.usage == CertRequest::Usage::kCa) {
    add_ext(cert.get(), issuer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
    add_ext(cert.get(), issuer, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
  } else {
    add_ext(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
    add_ext(cert.get(), issuer, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    const char* eku = req.usage == CertRequest::Usage::kServer   ? "serverAuth"
                      : req.usage == CertRequest::Usage::kClient ? "clientAuth"
                                                                 : "serverAuth,clientAuth";
    add_ext(cert.get(), issuer, NID_ext_key_usage, eku);
  }
  add_ext(cert.get(), issuer, NID_subject_key_identifier, "hash");
  if (issuer_cert) add_ext(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
  std::string san;
  for (const auto& d : req.dns_names) san += (san.empty() ? "" : ",") + ("DNS:" + d);
  for (const auto& ip : req.ip_addresses) san += (san.empty() ? "" : ",") + ("IP:" + ip);
  if (!san.empty()) add_ext(cert.get(), issuer, NID_subject_alt_name, san);
  if (!X509_sign(cert.get(), signer, EVP_sha256())) fail("signing");
  return {to_pem(key.get()), to_pem(cert.get())};
}

std::string name_entry(X509_NAME* name, int nid) {
  int i = X509_NAME_get_index_by_NID(name, nid, -1);
  if (i < 0) return "";
  ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  unsigned char* utf8 = nullptr;
  int n = ASN1_STRING_to_UTF8(&utf8, s);
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

}  // namespace

KeyAndCert self_signed(const CertRequest& req) { return make(req, nullptr, nullptr); }

KeyAndCert issue(const CertRequest& req, const KeyAndCert& ca) {
  Cert ca_cert = cert_from_pem(ca.cert_pem);
  if (!ca_cert) fail("reading the CA certificate");
  Key ca_key = key_from_pem(ca.key_pem);
  return make(req, ca_cert.get(), ca_key.get());
}

CertSubject read_subject(const std::string& cert_pem) {
  Cert c = cert_from_pem(cert_pem);
  if (!c) {
    ERR_clear_error();
    return {};
  }
  X509_NAME* n = X509_get_subject_name(c.get());
  return {name_entry(n, NID_commonName), name_entry(n, NID_organizationalUnitName)};
}

}  // namespace edgelb::cp

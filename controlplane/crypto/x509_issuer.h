// X.509 certificates made with OpenSSL 3: self-signed ones (a pool's autoCertificate, a CA)
// and ones signed by a CA (`edgelbctl certs init`). Keys are ECDSA P-256; serials are 128
// random bits; SANs carry DNS names and IP addresses. Throws std::runtime_error with
// OpenSSL's reason on failure. Thread-safe (no shared state).
#pragma once

#include <string>
#include <vector>

namespace edgelb::cp {

struct CertRequest {
  std::string common_name;
  std::string organizational_unit;  // edgelb reads the client's role from here
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  int validity_days = 825;
  bool is_ca = false;
  enum class Usage { kServer, kClient, kServerAndClient, kCa } usage = Usage::kServer;
};

struct KeyAndCert {
  std::string key_pem;  // PKCS#8 private key: a secret, never log it
  std::string cert_pem;
};

// A self-signed certificate for `req`.
KeyAndCert self_signed(const CertRequest& req);
// A certificate for `req` signed by the CA (PEM key and certificate).
KeyAndCert issue(const CertRequest& req, const KeyAndCert& ca);

// Subject fields of a PEM certificate (empty strings when absent or unreadable).
struct CertSubject {
  std::string common_name;
  std::string organizational_unit;
};
CertSubject read_subject(const std::string& cert_pem);

}  // namespace edgelb::cp

// Access control against a real fsd (README, Security): TLS and mutual TLS
// with certificates made by openssl in the test's temp directory, bearer
// tokens with roles, the caller in audit records, denied calls counted on
// /metrics, SIGHUP reloading the token file, the refusal to expose an
// unauthenticated server, and the /metrics token.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "client/fstore_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "registry/xgboost_booster.h"
#include "storage/sha256.h"
#include "tests/integration/fsd_process.h"
#include "tests/integration/http_get.h"

namespace fstore::testing {
namespace {

using ::testing::HasSubstr;

const std::string kDefinitions = std::string(FSTORE_SOURCE_DIR) + "/tests/data/txns_features.yaml";

// Runs a shell command in `dir`; fails the test when it fails.
void Shell(const std::string& dir, const std::string& command) {
  ProgramResult r = RunProgram({"/bin/bash", "-c", "cd '" + dir + "' && " + command});
  ASSERT_EQ(r.exit_code, 0) << command << "\n" << r.out << r.err;
}

// A CA, a server certificate for 127.0.0.1 and a client certificate
// (CN=alice-laptop) it signed, and a second CA that signed nothing of fsd's.
void MakeCertificates(const std::string& dir) {
  const std::string ec = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  Shell(dir, "openssl req -x509 " + ec +
                 " -keyout ca.key -out ca.pem -days 2 -subj '/CN=fstore test CA' 2>/dev/null");
  Shell(dir, "openssl req -x509 " + ec +
                 " -keyout other-ca.key -out other-ca.pem -days 2 -subj '/CN=other CA' "
                 "2>/dev/null");
  Shell(dir, "openssl req " + ec +
                 " -keyout server.key -out server.csr -subj '/CN=localhost' 2>/dev/null && "
                 "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > server.ext && "
                 "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
                 "-out server.pem -days 2 -extfile server.ext 2>/dev/null");
  Shell(dir, "openssl req " + ec +
                 " -keyout client.key -out client.csr -subj '/O=fraud team/CN=alice-laptop' "
                 "2>/dev/null && openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key "
                 "-CAcreateserial -out client.pem -days 2 2>/dev/null");
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class AccessControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MakeCertificates(files_.path());
    WriteTokens(true);
  }

  std::string File(const std::string& name) const { return files_.path() + "/" + name; }

  // ada: admin; rita: reader; sam: scorer; mo: modeler (and reader, which
  // fsctl register needs to read the definitions); ian: ingester.
  void WriteTokens(bool with_rita) {
    std::ofstream out(File("tokens"));
    out << "# test tokens\n";
    out << Sha256::Hex("ada-token") << " ada admin\n";
    if (with_rita) out << Sha256::Hex("rita-token") << " rita reader\n";
    out << Sha256::Hex("sam-token") << " sam scorer\n";
    out << Sha256::Hex("mo-token") << " mo modeler,reader\n";
    out << Sha256::Hex("ian-token") << " ian ingester\n";
  }

  // fsd with TLS and tokens, and metrics.
  void StartSecure() {
    FsdProcess::Options options;
    options.extra_flags = {"--tls_cert=" + File("server.pem"), "--tls_key=" + File("server.key"),
                           "--auth_tokens=" + File("tokens")};
    options.metrics = true;
    options.client.tls_ca_pem = ReadAll(File("ca.pem"));
    options.fsctl_flags = {"--tls-ca=" + File("ca.pem")};
    std::string log;
    fsd_ = FsdProcess::Start(options, &log);
    ASSERT_NE(fsd_, nullptr) << log;
  }

  ProgramResult As(const std::string& token, std::vector<std::string> args) {
    args.insert(args.begin(), "--token=" + token);
    return fsd_->Fsctl(args);
  }

  FstoreClient Client(const std::string& ca_file, const std::string& token = "") {
    FstoreClient::Options options;
    options.server = fsd_->address();
    options.timeout = absl::Seconds(5);
    options.token = token;
    if (!ca_file.empty()) options.tls_ca_pem = ReadAll(File(ca_file));
    return FstoreClient(options);
  }

  std::string Model() {
    absl::StatusOr<std::string> bytes = TrainBoosterForTesting(5, 3, 1, "json");
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    std::ofstream(File("m.json"), std::ios::binary) << bytes.value_or("");
    return File("m.json");
  }

  TempDir files_;
  std::unique_ptr<FsdProcess> fsd_;
};

TEST_F(AccessControlTest, PlainTextOrAnotherCaCannotConnectToATlsServer) {
  StartSecure();
  absl::StatusOr<std::string> plain = Client("").Health();
  EXPECT_EQ(plain.status().code(), absl::StatusCode::kUnavailable) << plain.status();
  absl::StatusOr<std::string> other = Client("other-ca.pem").Health();
  EXPECT_EQ(other.status().code(), absl::StatusCode::kUnavailable) << other.status();
  absl::StatusOr<std::string> good = Client("ca.pem").Health();  // health needs no token
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_EQ(*good, "SERVING");
}

TEST_F(AccessControlTest, MissingOrWrongTokenIsUnauthenticatedAndCounted) {
  StartSecure();
  v1::ListModelsRequest request;
  absl::StatusOr<v1::ListModelsResponse> none =
      Client("ca.pem").Call(&v1::Registry::Stub::ListModels, request, "ListModels");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(none.status().message()), HasSubstr("needs a bearer token"));
  absl::StatusOr<v1::ListModelsResponse> wrong =
      Client("ca.pem", "guess").Call(&v1::Registry::Stub::ListModels, request, "ListModels");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(Client("ca.pem", "rita-token")
                  .Call(&v1::Registry::Stub::ListModels, request, "ListModels")
                  .ok());

  ProgramResult cli = fsd_->Fsctl({"models", "list"});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_THAT(cli.err, HasSubstr("FSTORE_TOKEN"));

  HttpResponse metrics = HttpGet(fsd_->metrics_port(), "/metrics");
  EXPECT_THAT(metrics.body, HasSubstr("fstore_rpc_denied_total{method=\"fstore.v1.Registry/"
                                      "ListModels\",reason=\"unauthenticated\"} 3"));
  EXPECT_THAT(fsd_->Log(), HasSubstr("denied fstore.v1.Registry/ListModels to anonymous"));
}

TEST_F(AccessControlTest, RolesDecideAndTheAuditNamesThePrincipal) {
  StartSecure();
  ProgramResult reader_apply = As("rita-token", {"apply", kDefinitions});
  EXPECT_EQ(reader_apply.exit_code, 1);
  EXPECT_THAT(reader_apply.err, HasSubstr("rita (reader) may not call "
                                          "fstore.v1.FeatureStore/ApplyDefinitions: it needs "
                                          "the admin role"));
  ASSERT_EQ(As("ada-token", {"apply", kDefinitions}).exit_code, 0);

  ProgramResult registered = As(
      "mo-token", {"register", "--model", "fraud", "--artifact", Model(), "--service", "acct_svc"});
  ASSERT_EQ(registered.exit_code, 0) << registered.err;
  ProgramResult reader_promote = As("rita-token", {"promote", "fraud", "1", "--stage", "Staging"});
  EXPECT_EQ(reader_promote.exit_code, 1);
  EXPECT_THAT(reader_promote.err, HasSubstr("it needs the modeler role"));
  ProgramResult staging = As("mo-token", {"promote", "fraud", "1", "--stage", "Staging"});
  ASSERT_EQ(staging.exit_code, 0) << staging.err;
  ProgramResult modeler_production =
      As("mo-token", {"promote", "fraud", "1", "--stage", "Production"});
  EXPECT_EQ(modeler_production.exit_code, 1);
  EXPECT_THAT(modeler_production.err,
              HasSubstr("mo (reader,modeler) may not move fraud version 1 from Staging to "
                        "Production: it needs the admin role"));
  ASSERT_EQ(As("ada-token", {"promote", "fraud", "1", "--stage", "Production"}).exit_code, 0);
  // An alias that reaches the Production version is the admin's too.
  ProgramResult alias = As("mo-token", {"alias", "set", "fraud", "champion", "1"});
  EXPECT_EQ(alias.exit_code, 1) << alias.out;
  EXPECT_THAT(alias.err, HasSubstr("which reaches a Production version"));

  // Scoring is the scorer's; the scorer cannot read features.
  ProgramResult scored = As("sam-token", {"score", "fraud@Production", "--entity", "account_id=A",
                                          "--field", "amount=10"});
  EXPECT_EQ(scored.exit_code, 0) << scored.err;
  EXPECT_THAT(As("sam-token", {"models", "list"}).err, HasSubstr("it needs the reader role"));

  ProgramResult history = As("rita-token", {"--output=json", "models", "history", "fraud"});
  ASSERT_EQ(history.exit_code, 0) << history.err;
  const nlohmann::json transitions = nlohmann::json::parse(history.out)["transitions"];
  std::vector<std::string> actors;
  for (const auto& t : transitions) actors.push_back(t["actor"]);
  EXPECT_THAT(actors, ::testing::ElementsAre("mo", "mo", "ada"));
  ProgramResult applies = As("rita-token", {"--output=json", "definitions", "history"});
  ASSERT_EQ(applies.exit_code, 0) << applies.err;
  EXPECT_EQ(nlohmann::json::parse(applies.out)[0]["by"], "ada");
  EXPECT_THAT(fsd_->Log(), HasSubstr("denied fstore.v1.FeatureStore/ApplyDefinitions to rita"));
}

TEST_F(AccessControlTest, SighupReloadsTheTokenFile) {
  StartSecure();
  ASSERT_EQ(As("rita-token", {"models", "list"}).exit_code, 0);
  WriteTokens(false);
  ASSERT_EQ(::kill(fsd_->pid(), SIGHUP), 0);
  // The reload is asynchronous; the next call after it is refused.
  ProgramResult r;
  for (int i = 0; i < 100; ++i) {
    r = As("rita-token", {"models", "list"});
    if (r.exit_code != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("not known to this server"));
  EXPECT_EQ(As("ada-token", {"models", "list"}).exit_code, 0);
  EXPECT_THAT(fsd_->Log(), HasSubstr("reloaded"));
}

TEST_F(AccessControlTest, MutualTlsNamesTheCallerByItsCertificate) {
  FsdProcess::Options options;
  options.extra_flags = {"--tls_cert=" + File("server.pem"), "--tls_key=" + File("server.key"),
                         "--tls_client_ca=" + File("ca.pem")};
  options.client.tls_ca_pem = ReadAll(File("ca.pem"));
  options.client.tls_cert_pem = ReadAll(File("client.pem"));
  options.client.tls_key_pem = ReadAll(File("client.key"));
  options.fsctl_flags = {"--tls-ca=" + File("ca.pem"), "--tls-cert=" + File("client.pem"),
                         "--tls-key=" + File("client.key")};
  std::string log;
  fsd_ = FsdProcess::Start(options, &log);
  ASSERT_NE(fsd_, nullptr) << log;
  // Without a client certificate the handshake fails.
  EXPECT_EQ(Client("ca.pem").Health().status().code(), absl::StatusCode::kUnavailable);
  ASSERT_EQ(fsd_->Fsctl({"apply", kDefinitions}).exit_code, 0);
  ProgramResult applies = fsd_->Fsctl({"--output=json", "definitions", "history"});
  ASSERT_EQ(applies.exit_code, 0) << applies.err;
  EXPECT_THAT(std::string(nlohmann::json::parse(applies.out)[0]["by"]), HasSubstr("alice-laptop"));
}

TEST_F(AccessControlTest, AnExposedServerWithoutTlsAndAuthenticationIsRefused) {
  FsdProcess::Options options;
  options.extra_flags = {"--listen=0.0.0.0"};
  std::string log;
  EXPECT_EQ(FsdProcess::Start(options, &log), nullptr);
  EXPECT_THAT(log, HasSubstr("--listen 0.0.0.0 would serve other machines in plain text"));
  EXPECT_THAT(log, HasSubstr("--insecure"));
  options.extra_flags = {"--listen=0.0.0.0", "--auth_tokens=" + File("tokens")};
  EXPECT_EQ(FsdProcess::Start(options, &log), nullptr);
  EXPECT_THAT(log, HasSubstr("need TLS off loopback"));
  ProgramResult direct =
      RunProgram({FSD_PATH, "--listen=0.0.0.0", "--port=0", "--data_dir=" + files_.path() + "/d"});
  EXPECT_EQ(direct.exit_code, 2);
}

TEST_F(AccessControlTest, MetricsTokenGuardsTheScrape) {
  std::ofstream(File("metrics-token")) << "scrape-secret\n";
  FsdProcess::Options options;
  options.metrics = true;
  options.extra_flags = {"--metrics_token_file=" + File("metrics-token")};
  std::string log;
  fsd_ = FsdProcess::Start(options, &log);
  ASSERT_NE(fsd_, nullptr) << log;
  EXPECT_EQ(HttpGet(fsd_->metrics_port(), "/metrics").status, 401);
  EXPECT_EQ(HttpGet(fsd_->metrics_port(), "/metrics", "Authorization: Bearer nope\r\n").status,
            401);
  HttpResponse ok =
      HttpGet(fsd_->metrics_port(), "/metrics", "Authorization: Bearer scrape-secret\r\n");
  EXPECT_EQ(ok.status, 200);
  EXPECT_THAT(ok.body, HasSubstr("fstore_rpc_requests_total"));
}

}  // namespace
}  // namespace fstore::testing

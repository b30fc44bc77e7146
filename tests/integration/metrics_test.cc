// fsd's Prometheus endpoint against a real fsd: the counters after real
// RPCs over a plain HTTP GET, and Debian's prometheus binary scraping fsd
// and answering queries about it through its HTTP API.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "registry/xgboost_booster.h"
#include "tests/integration/fsd_process.h"
#include "tests/integration/http_get.h"

namespace fstore::testing {
namespace {

using ::testing::HasSubstr;

const std::string kDefinitions = std::string(FSTORE_SOURCE_DIR) + "/tests/data/txns_features.yaml";
constexpr char kPrometheus[] = "/usr/bin/prometheus";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A loopback port nobody listened on a moment ago.
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t len = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &len);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string UrlEncode(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~') {
      out += static_cast<char>(c);
    } else {
      absl::StrAppend(&out, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return out;
}

// A background process with its output in files; SIGTERM on destruction.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::string& log_path) : log_path_(log_path) {
    pid_ = ::fork();
    if (pid_ != 0) return;
    const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int null = ::open("/dev/null", O_RDONLY);
    if (log < 0 || null < 0) ::_exit(126);
    ::dup2(null, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ~Child() { Stop(); }

  bool Running() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    return true;
  }
  // SIGTERM, up to 10 s to exit, then SIGKILL.
  void Stop() {
    if (!Running()) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 200 && Running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (Running()) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  std::string Log() const { return ReadFile(log_path_); }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FsdProcess::Options options;
    options.metrics = true;
    std::string log;
    fsd_ = FsdProcess::Start(options, &log);
    ASSERT_NE(fsd_, nullptr) << log;
    metrics_port_ = fsd_->metrics_port();
    ASSERT_GT(metrics_port_, 0);
  }

  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = files_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::string Scrape() {
    HttpResponse r = HttpGet(metrics_port_, "/metrics");
    EXPECT_EQ(r.status, 200);
    return r.body;
  }

  TempDir files_;
  std::unique_ptr<FsdProcess> fsd_;
  int metrics_port_ = 0;
};

TEST_F(MetricsTest, CountsRpcsIngestOutcomesStoreSizeAndModelStages) {
  ASSERT_EQ(fsd_->Fsctl({"apply", kDefinitions}).exit_code, 0);
  // Two good rows, one below min (rejected), one replayed event id.
  const std::string csv = WriteFile("txns.csv",
                                    "txn_id,account_id,device_id,ts,amount,kind\n"
                                    "t1,A-1,D-1,2026-01-05T10:00:00Z,10,PAY\n"
                                    "t2,A-2,D-1,2026-01-05T10:01:00Z,20,PAY\n"
                                    "t3,A-1,D-1,2026-01-05T10:02:00Z,-5,PAY\n"
                                    "t1,A-1,D-1,2026-01-05T10:00:00Z,10,PAY\n");
  ProgramResult ingest = fsd_->Fsctl({"ingest", "txns", csv});
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  // A model version in Production.
  absl::StatusOr<std::string> model = TrainBoosterForTesting(5, 3, 1, "json");
  ASSERT_TRUE(model.ok()) << model.status();
  ProgramResult reg = fsd_->Fsctl({"register", "--model", "fraud", "--artifact",
                                   WriteFile("m.json", *model), "--service", "acct_svc"});
  ASSERT_EQ(reg.exit_code, 0) << reg.err;
  ASSERT_EQ(fsd_->Fsctl({"promote", "fraud", "1", "--stage", "Production"}).exit_code, 0);
  // A call that fails on the server: there is no version 9.
  ASSERT_NE(fsd_->Fsctl({"promote", "fraud", "9", "--stage", "Staging"}).exit_code, 0);

  const std::string full = Scrape();
  EXPECT_THAT(full, HasSubstr("fstore_rpc_latency_seconds_bucket{method=\"fstore.v1.FeatureStore/"
                              "IngestStream\",le=\"+Inf\"} 1\n"));
  // The rest without the many bucket lines, so a failure prints readably.
  std::string text;
  for (absl::string_view line : absl::StrSplit(full, '\n')) {
    if (!absl::StrContains(line, "_bucket{")) absl::StrAppend(&text, line, "\n");
  }
  EXPECT_THAT(text, HasSubstr("# TYPE fstore_rpc_requests_total counter\n"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "fstore_rpc_requests_total{method=\"fstore.v1.FeatureStore/ApplyDefinitions\"} 1\n"));
  EXPECT_THAT(
      text,
      HasSubstr("fstore_rpc_requests_total{method=\"fstore.v1.FeatureStore/IngestStream\"} 1\n"));
  // FsdProcess::Start polled health until SERVING.
  EXPECT_THAT(text,
              HasSubstr("fstore_rpc_requests_total{method=\"grpc.health.v1.Health/Check\"} "));
  EXPECT_THAT(text, HasSubstr("fstore_rpc_requests_total{method=\"fstore.v1.Registry/"
                              "TransitionStage\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("fstore_rpc_errors_total{method=\"fstore.v1.Registry/"
                              "TransitionStage\",code=\"NOT_FOUND\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("fstore_rpc_latency_seconds_count{method=\"fstore.v1.FeatureStore/"
                              "IngestStream\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("fstore_ingest_rows_total{source=\"txns\",result=\"accepted\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("fstore_ingest_rows_total{source=\"txns\",result=\"rejected\"} 1\n"));
  EXPECT_THAT(text,
              HasSubstr("fstore_ingest_rows_total{source=\"txns\",result=\"duplicate\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("fstore_online_entities{view=\"acct\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("fstore_model_stage_info{model=\"fraud\",stage=\"Production\","
                              "version=\"1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE fstore_feature_drift_psi gauge\n"));

  EXPECT_EQ(HttpGet(metrics_port_, "/").status, 404);
}

TEST_F(MetricsTest, MetricsPortTakenOrOutOfRangeFailsWithClearMessage) {
  std::string log;
  FsdProcess::Options taken;
  taken.extra_flags = {"--metrics_port=" + std::to_string(metrics_port_)};
  EXPECT_EQ(FsdProcess::Start(taken, &log), nullptr);
  EXPECT_THAT(log,
              HasSubstr("cannot listen for metrics on 127.0.0.1:" + std::to_string(metrics_port_)));
  FsdProcess::Options bad;
  bad.extra_flags = {"--metrics_port=70000"};
  EXPECT_EQ(FsdProcess::Start(bad, &log), nullptr);
  EXPECT_THAT(log, HasSubstr("--metrics_port 70000 is not a TCP port"));
}

// Debian's prometheus scrapes fsd every second; its HTTP API then reports
// the target up and returns fsd's series.
TEST_F(MetricsTest, RealPrometheusScrapesFsd) {
  if (::access(kPrometheus, X_OK) != 0) {
    GTEST_SKIP() << kPrometheus << " is not installed (apt-get install prometheus)";
  }
  ASSERT_EQ(fsd_->Fsctl({"apply", kDefinitions}).exit_code, 0);

  const std::string config =
      WriteFile("prometheus.yml", absl::StrCat("global:\n"
                                               "  scrape_interval: 1s\n"
                                               "  evaluation_interval: 1s\n"
                                               "scrape_configs:\n"
                                               "  - job_name: fsd\n"
                                               "    static_configs:\n"
                                               "      - targets: ['127.0.0.1:",
                                               metrics_port_, "']\n"));
  const int web_port = FreePort();
  Child prometheus(
      {kPrometheus, "--config.file=" + config, "--storage.tsdb.path=" + files_.path() + "/tsdb",
       absl::StrCat("--web.listen-address=127.0.0.1:", web_port)},
      files_.path() + "/prometheus.log");

  // Polls `target` on Prometheus until `accept` likes its JSON (25 s).
  nlohmann::json last;
  auto wait_for = [&](const std::string& target,
                      const std::function<bool(const nlohmann::json&)>& accept) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(25);
    while (std::chrono::steady_clock::now() < end && prometheus.Running()) {
      HttpResponse r = HttpGet(web_port, target);
      if (r.status == 200) {
        last = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
        if (!last.is_discarded() && accept(last)) return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
  };

  const std::string scrape_url = absl::StrCat("http://127.0.0.1:", metrics_port_, "/metrics");
  ASSERT_TRUE(wait_for("/api/v1/targets",
                       [&](const nlohmann::json& j) {
                         for (const auto& t : j["data"]["activeTargets"]) {
                           if (t["scrapeUrl"] == scrape_url && t["health"] == "up") return true;
                         }
                         return false;
                       }))
      << "target never up; last answer: " << last.dump() << "\nprometheus log:\n"
      << prometheus.Log();

  ASSERT_TRUE(wait_for("/api/v1/query?query=" + UrlEncode("up{job=\"fsd\"}"),
                       [](const nlohmann::json& j) {
                         const auto& result = j["data"]["result"];
                         return j["status"] == "success" && result.size() == 1 &&
                                result[0]["value"][1] == "1";
                       }))
      << last.dump();

  const std::string apply_calls =
      UrlEncode("fstore_rpc_requests_total{method=\"fstore.v1.FeatureStore/ApplyDefinitions\"}");
  ASSERT_TRUE(wait_for("/api/v1/query?query=" + apply_calls, [](const nlohmann::json& j) {
    const auto& result = j["data"]["result"];
    return result.size() == 1 && result[0]["value"][1] == "1";
  })) << last.dump();
  EXPECT_EQ(last["data"]["result"][0]["metric"]["job"], "fsd");

  // A histogram arrives whole: p99 of health checks from its buckets.
  ASSERT_TRUE(wait_for(
      "/api/v1/query?query=" +
          UrlEncode("histogram_quantile(0.99, fstore_rpc_latency_seconds_bucket{method=\"grpc."
                    "health.v1.Health/Check\"})"),
      [](const nlohmann::json& j) {
        const auto& result = j["data"]["result"];
        return result.size() == 1 && result[0]["value"][1] != "NaN";
      }))
      << last.dump();

  prometheus.Stop();
  EXPECT_FALSE(prometheus.Running());
}

}  // namespace
}  // namespace fstore::testing

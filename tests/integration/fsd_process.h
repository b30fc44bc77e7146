// Test fixtures that run the real binaries: FsdProcess starts fsd on a free
// loopback port (--port=0 --port_file) with a temporary data directory and
// stops it with SIGTERM; RunProgram runs fsctl (or anything) and captures
// its exit code and output.
#ifndef FSTORE_TESTS_INTEGRATION_FSD_PROCESS_H_
#define FSTORE_TESTS_INTEGRATION_FSD_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "client/fstore_client.h"

namespace fstore::testing {

// A fresh directory under $TMPDIR, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct ProgramResult {
  int exit_code = -1;  // 128 + signal when killed by a signal
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is the program path) to completion, feeding `input`
// on stdin. Gives up and kills it after `timeout_s` seconds.
ProgramResult RunProgram(const std::vector<std::string>& argv, const std::string& input = "",
                         int timeout_s = 120);

class FsdProcess {
 public:
  struct Options {
    std::string data_dir;  // empty: a fresh temporary directory
    int port = 0;          // 0: a free port chosen by fsd
    std::vector<std::string> extra_flags;
    // Serve Prometheus metrics on a free loopback port (metrics_port()).
    bool metrics = false;
    // How the harness's health check connects (TLS CA, client certificate;
    // `server` is ignored) when fsd serves TLS.
    FstoreClient::Options client = {};
    // Flags Fsctl() adds to every fsctl run (--tls-ca, --token, ...).
    std::vector<std::string> fsctl_flags = {};
  };

  // Starts fsd and waits (up to 30 s) until it answers health checks.
  // Returns nullptr if it exited instead; `log` then holds its output.
  static std::unique_ptr<FsdProcess> Start(const Options& options, std::string* log = nullptr);
  static std::unique_ptr<FsdProcess> Start() { return Start(Options{}); }

  ~FsdProcess();  // Stop()s if still running

  // SIGTERM, then waits; returns the exit code (-1 if already stopped).
  int Stop();
  // SIGKILL, then waits: a crash.
  void Kill();

  int port() const { return port_; }
  // The metrics port when started with Options::metrics, else 0.
  int metrics_port() const { return metrics_port_; }
  std::string address() const;
  const std::string& data_dir() const { return data_dir_; }
  pid_t pid() const { return pid_; }
  // fsd's stderr so far.
  std::string Log() const;

  // Runs fsctl against this server with --server set.
  ProgramResult Fsctl(const std::vector<std::string>& args, const std::string& input = "") const;

 private:
  FsdProcess() = default;

  std::unique_ptr<TempDir> owned_dir_;
  std::unique_ptr<TempDir> work_dir_;  // log and port file
  std::string data_dir_;
  std::string log_path_;
  pid_t pid_ = -1;
  int port_ = 0;
  int metrics_port_ = 0;
  std::vector<std::string> fsctl_flags_;
};

// Runs fsctl with `args` (no --server added).
ProgramResult RunFsctl(const std::vector<std::string>& args, const std::string& input = "");

}  // namespace fstore::testing

#endif  // FSTORE_TESTS_INTEGRATION_FSD_PROCESS_H_

#include "tests/integration/fsd_process.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include "client/fstore_client.h"

namespace fstore::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Waits for `pid` up to `timeout`; returns the exit code or nullopt.
std::optional<int> WaitFor(pid_t pid, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return DecodeWaitStatus(status);
    if (r < 0) return -1;
    if (std::chrono::steady_clock::now() > end) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// fork + exec with stdin/stdout/stderr redirected to files.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& in_path,
            const std::string& out_path, const std::string& err_path) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  const int in = ::open(in_path.c_str(), O_RDONLY);
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0 || err < 0) ::_exit(126);
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execv(args[0], args.data());
  ::_exit(127);
}

}  // namespace

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/fstore-test-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

ProgramResult RunProgram(const std::vector<std::string>& argv, const std::string& input,
                         int timeout_s) {
  TempDir io;
  const std::string in_path = io.path() + "/stdin";
  const std::string out_path = io.path() + "/stdout";
  const std::string err_path = io.path() + "/stderr";
  std::ofstream(in_path, std::ios::binary) << input;
  ProgramResult result;
  const pid_t pid = Spawn(argv, in_path, out_path, err_path);
  std::optional<int> code = WaitFor(pid, std::chrono::seconds(timeout_s));
  if (!code) {
    ::kill(pid, SIGKILL);
    code = WaitFor(pid, std::chrono::seconds(10));
    result.err = "[test harness: killed after timeout]\n";
  }
  result.exit_code = code.value_or(-1);
  result.out = ReadFile(out_path);
  result.err += ReadFile(err_path);
  return result;
}

ProgramResult RunFsctl(const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> argv = {FSCTL_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, input);
}

std::unique_ptr<FsdProcess> FsdProcess::Start(const Options& options, std::string* log) {
  std::unique_ptr<FsdProcess> p(new FsdProcess());
  p->work_dir_ = std::make_unique<TempDir>();
  if (options.data_dir.empty()) {
    p->owned_dir_ = std::make_unique<TempDir>();
    p->data_dir_ = p->owned_dir_->path() + "/data";
  } else {
    p->data_dir_ = options.data_dir;
  }
  p->log_path_ = p->work_dir_->path() + "/fsd.log";
  p->fsctl_flags_ = options.fsctl_flags;
  const std::string port_file = p->work_dir_->path() + "/port";
  std::vector<std::string> argv = {FSD_PATH, "--data_dir=" + p->data_dir_,
                                   "--port=" + std::to_string(options.port), "--listen=127.0.0.1",
                                   "--port_file=" + port_file};
  const std::string metrics_port_file = p->work_dir_->path() + "/metrics_port";
  if (options.metrics) {
    argv.push_back("--metrics_port=0");
    argv.push_back("--metrics_port_file=" + metrics_port_file);
  }
  argv.insert(argv.end(), options.extra_flags.begin(), options.extra_flags.end());
  p->pid_ = Spawn(argv, "/dev/null", p->work_dir_->path() + "/fsd.out", p->log_path_);

  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < end) {
    if (std::optional<int> code = WaitFor(p->pid_, std::chrono::milliseconds(0))) {
      if (log != nullptr) *log = p->Log();
      p->pid_ = -1;
      return nullptr;
    }
    const std::string port = ReadFile(port_file);
    if (!port.empty()) {
      p->port_ = std::stoi(port);
      FstoreClient::Options client_options = options.client;
      client_options.server = p->address();
      client_options.timeout = absl::Seconds(2);
      FstoreClient client(client_options);
      absl::StatusOr<std::string> health = client.Health();
      if (health.ok() && *health == "SERVING") {
        // fsd writes the metrics port before the gRPC port waited for here.
        if (options.metrics) p->metrics_port_ = std::stoi(ReadFile(metrics_port_file));
        return p;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (log != nullptr) *log = "[test harness: fsd not healthy after 30 s]\n" + p->Log();
  p->Kill();
  return nullptr;
}

FsdProcess::~FsdProcess() { Stop(); }

int FsdProcess::Stop() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  std::optional<int> code = WaitFor(pid_, std::chrono::seconds(60));
  if (!code) {
    ::kill(pid_, SIGKILL);
    code = WaitFor(pid_, std::chrono::seconds(10));
  }
  pid_ = -1;
  return code.value_or(-1);
}

void FsdProcess::Kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  WaitFor(pid_, std::chrono::seconds(10));
  pid_ = -1;
}

std::string FsdProcess::address() const { return "127.0.0.1:" + std::to_string(port_); }

std::string FsdProcess::Log() const { return ReadFile(log_path_); }

ProgramResult FsdProcess::Fsctl(const std::vector<std::string>& args,
                                const std::string& input) const {
  std::vector<std::string> full = {"--server=" + address()};
  full.insert(full.end(), fsctl_flags_.begin(), fsctl_flags_.end());
  full.insert(full.end(), args.begin(), args.end());
  return RunFsctl(full, input);
}

}  // namespace fstore::testing

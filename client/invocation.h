// Invocation: what an fsctl command handler gets: its parsed arguments,
// output format, streams and a lazily connected client.
#ifndef FSTORE_CLIENT_INVOCATION_H_
#define FSTORE_CLIENT_INVOCATION_H_

#include <memory>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "client/command_line.h"
#include "client/fstore_client.h"

namespace fstore::cli {

// kYaml: definitions list and show only (fsctl refuses it elsewhere).
enum class OutputFormat { kTable, kJson, kYaml };

class Invocation {
 public:
  Invocation(const ParsedArgs& args, std::vector<std::string> operands, OutputFormat format,
             FstoreClient::Options client_options, std::ostream& out, std::ostream& err)
      : args(args),
        operands(std::move(operands)),
        format(format),
        client_options(std::move(client_options)),
        out(out),
        err(err) {}

  bool json() const { return format == OutputFormat::kJson; }
  bool yaml() const { return format == OutputFormat::kYaml; }

  FstoreClient& client() {
    if (client_ == nullptr) client_ = std::make_unique<FstoreClient>(client_options);
    return *client_;
  }

  const ParsedArgs& args;
  std::vector<std::string> operands;  // words after the command path
  OutputFormat format;
  FstoreClient::Options client_options;
  std::ostream& out;
  std::ostream& err;

 private:
  std::unique_ptr<FstoreClient> client_;
};

}  // namespace fstore::cli

#endif  // FSTORE_CLIENT_INVOCATION_H_

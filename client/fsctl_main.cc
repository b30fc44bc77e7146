// fsctl: see client/fsctl.h and `fsctl --help`.
#include <iostream>
#include <string>
#include <vector>

#include "client/fsctl.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return fstore::cli::RunFsctl(args, std::cout, std::cerr);
}

#include "net/rlimit.h"

#include <sys/resource.h>

namespace throng::net {

FdLimit raiseFdLimit() {
  FdLimit out;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return out;
  out.before = lim.rlim_cur;
  out.hard = lim.rlim_max;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  getrlimit(RLIMIT_NOFILE, &lim);
  out.after = lim.rlim_cur;
  return out;
}

}  // namespace throng::net

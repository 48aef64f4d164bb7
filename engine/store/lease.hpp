// A claim on a queue row (a job or a lane head): the row and the token drawn
// when it was claimed. Writes that finish the claimed work name both and are
// refused (the store function returns false) once the row is leased by
// another token or not leased at all: a worker that lost its lease must
// discard its work.
#pragma once

#include <cstdint>

namespace radbridge::store {

struct lease {
  std::int64_t id = 0;
  std::int64_t token = 0;
};

}  // namespace radbridge::store

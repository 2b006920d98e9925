// Branch hints for the hot path: the rare side of a per-packet test (an error, a punt, a
// table change seen by a worker) marked EDGELB_UNLIKELY so the common path stays straight.
#pragma once

#define EDGELB_LIKELY(x) __builtin_expect(!!(x), 1)
#define EDGELB_UNLIKELY(x) __builtin_expect(!!(x), 0)

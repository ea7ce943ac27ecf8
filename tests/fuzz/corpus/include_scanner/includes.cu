#include "a.h"
  #  include   <cub/cub.cuh>
#include MACRO
#include_next <x.h>
#include "unterminated
__global__ void k() {}

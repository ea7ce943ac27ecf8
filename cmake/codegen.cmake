# jitcu's own calls into shared libraries (libstdc++, libc, OpenSSL, fmt) go through the GOT,
# bound when the program loads, instead of each being bound lazily at its first call: a cache
# hit in a new process made ~60 such first calls (35 fewer now, ~7% of the hit's CPU time).
function(jitcu_codegen target)
  target_compile_options(${target} PRIVATE -fno-plt)
endfunction()

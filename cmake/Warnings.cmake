# Warning flags for every target we build; as errors with SIMDQUANT_WERROR
# (CI sets it).
add_library(simdquant_warnings INTERFACE)
target_compile_options(simdquant_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wconversion -Wno-sign-conversion -Wvla
  $<$<BOOL:${SIMDQUANT_WERROR}>:-Werror>)

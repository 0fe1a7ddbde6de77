# Warning and sanitizer flags for targets we own (not for third-party headers).
function(tadm_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
  if(TADM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(TADM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# scorestream_target_options(<target>): warnings (errors in CI) and optional sanitizers for
# scorestream's own targets only. Nothing here touches global flags or a consumer's targets.
function(scorestream_target_options target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
    if(SCORESTREAM_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
    if(SCORESTREAM_SANITIZE)
      if(SCORESTREAM_SANITIZE MATCHES "thread" AND SCORESTREAM_SANITIZE MATCHES "address")
        message(FATAL_ERROR "SCORESTREAM_SANITIZE: thread and address sanitizers cannot be combined")
      endif()
      target_compile_options(${target} PRIVATE -fsanitize=${SCORESTREAM_SANITIZE} -fno-omit-frame-pointer
                                               -fno-sanitize-recover=all)
      target_link_options(${target} PRIVATE -fsanitize=${SCORESTREAM_SANITIZE})
    endif()
  endif()
endfunction()

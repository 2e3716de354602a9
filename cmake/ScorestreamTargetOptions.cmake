# scorestream_target_options(<target>): warnings (errors in CI), floating point rounded as written
# (no contraction) and optional sanitizers, for scorestream's own targets only. Nothing here touches
# global flags or a consumer's targets.
function(scorestream_target_options target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic)
    # Every floating-point operation rounds as written: no a * b + c fused into one rounding. GCC
    # (gnu++ modes) and Clang contract by default where the target has FMA instructions, or in
    # Clang's constant folding even where it has not, so PMML results (and the tests' hand-computed
    # expectations) would depend on the compiler and on -march. Our targets only; never consumers'.
    target_compile_options(${target} PRIVATE -ffp-contract=off)
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
      if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
        # Sanitizer instrumentation makes GCC 12's maybe-uninitialized analysis report libstdc++
        # internals (std::regex's std::function) as uninitialized; the normal build keeps the warning.
        target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
      endif()
      if(SCORESTREAM_SANITIZE MATCHES "thread")
        # ThreadSanitizer does not model standalone fences. Asio's handler fences are redundant with
        # its mutex-protected queues, so every target of a TSan build uses Asio's fence-free variant
        # (all must agree, or the one-definition rule breaks). Our own fences (parallel.hpp) only
        # make sure a worker is scheduled, so GCC's warning about them is silenced, not ignored.
        target_compile_definitions(${target} PRIVATE BOOST_ASIO_DISABLE_FENCED_BLOCK)
        if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
          target_compile_options(${target} PRIVATE -Wno-tsan)
        endif()
      endif()
    endif()
  endif()
endfunction()

# Runs `scorestream-pmml verify MODEL` and checks its exit code and that its output holds every
# text of EXPECT (a ;-list). Used by the pmml.verify_* tests.
execute_process(COMMAND "${TOOL}" verify "${MODEL}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL EXPECT_RC)
  message(FATAL_ERROR "verify exited with ${rc}, expected ${EXPECT_RC}")
endif()
foreach(text IN LISTS EXPECT)
  string(FIND "${out}" "${text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "verify output lacks '${text}'")
  endif()
endforeach()

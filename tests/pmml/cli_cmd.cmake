# Runs `TOOL ARGS` (ARGS a |-list) in WORK and checks its exit code (EXPECT_RC) and that what it
# prints, standard output and error together, holds every text of EXPECT (a |-list). INPUT, when
# given, is written to WORK/input.csv first ("\n" in it stands for a line break). Used by the
# pmml.cli_* tests of scorestream-pmml's arguments and input checks.
file(MAKE_DIRECTORY "${WORK}")
if(DEFINED INPUT)
  string(REPLACE "\\n" "\n" text "${INPUT}")
  file(WRITE "${WORK}/input.csv" "${text}")
endif()
string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND "${TOOL}" ${args} WORKING_DIRECTORY "${WORK}" RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL EXPECT_RC)
  message(FATAL_ERROR "scorestream-pmml exited with ${rc}, expected ${EXPECT_RC}")
endif()
string(REPLACE "|" ";" texts "${EXPECT}")
foreach(text IN LISTS texts)
  string(FIND "${out}${err}" "${text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "scorestream-pmml printed no '${text}'")
  endif()
endforeach()

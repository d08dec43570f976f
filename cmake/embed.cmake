# lr_embed(OUT FILE...) generates OUT, a C file defining
#   const lr_embedded_t lr_embedded[]; const size_t lr_embedded_cnt;
# with each FILE's base name and contents (see src/embedded.h).
function(lr_embed out)
  string(REPLACE ";" "|" files "${ARGN}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} "-DFILES=${files}"
            -P ${CMAKE_SOURCE_DIR}/cmake/embed_run.cmake
    DEPENDS ${ARGN} ${CMAKE_SOURCE_DIR}/cmake/embed_run.cmake
    COMMENT "Embedding the Functions library and the schemas" VERBATIM)
endfunction()

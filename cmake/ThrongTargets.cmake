# Shared compile settings for every throng target.
add_library(throng_warnings INTERFACE)
# No -Wnull-dereference: at -O2 it reports false positives inside Boost.Asio's inlined headers.
target_compile_options(throng_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough
  $<$<BOOL:${THRONG_WERROR}>:-Werror>)
# Boost.Asio: no deprecated interfaces, and io_context::post is spelled asio::post.
target_compile_definitions(throng_warnings INTERFACE BOOST_ASIO_NO_DEPRECATED)

# throng_library(NAME SOURCES... LINKS ...): one library per src/ folder.
function(throng_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINKS" ${ARGN})
  add_library(throng_${name} STATIC ${ARG_SOURCES})
  target_include_directories(throng_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(throng_${name} PUBLIC ${ARG_LINKS} PRIVATE throng_warnings)
endfunction()

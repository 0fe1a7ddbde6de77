# tadm_rpath_to_libdir(VAR DIR): in VAR, the RUNPATH entry that lets a binary installed in DIR
# (relative to the prefix, or absolute) find the installed libtadm: $ORIGIN-relative when DIR is
# relative, so the installed tree works under any prefix and after being moved.
function(tadm_rpath_to_libdir var dir)
  if(IS_ABSOLUTE "${dir}")
    set(${var} "${CMAKE_INSTALL_FULL_LIBDIR}" PARENT_SCOPE)
  else()
    file(RELATIVE_PATH _up "/${dir}" "/${CMAKE_INSTALL_LIBDIR}")
    set(${var} "$ORIGIN/${_up}" PARENT_SCOPE)
  endif()
endfunction()

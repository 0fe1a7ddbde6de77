# Installs the TAEF2 base weights beside the models (<datadir>/tadm/base/taef2), so an installed
# tree decodes latent-family files on its own. Only byte-exact copies are installed: the SHA-256s
# are the ones the latent bundles' manifests name (../shared/models/taef2/README.md).
set(_tadm_taef2_files
  "taef2_encoder.pth=10a4e1021e89d7551eaf161352da8dbd0b1aa83872ae28b150c1df1ce2f147b6"
  "taef2_decoder.pth=0a44a31e1ae59eb9dbf9359d24942fd3ef5928162c1800d97a28c61d51be0ab5")
set(_tadm_taef2_ok TRUE)
foreach(_entry IN LISTS _tadm_taef2_files)
  string(REPLACE "=" ";" _pair "${_entry}")
  list(GET _pair 0 _file)
  list(GET _pair 1 _want)
  set(_path "${TADM_BASE_WEIGHTS_DIR}/taef2/${_file}")
  if(NOT EXISTS "${_path}")
    set(_tadm_taef2_ok FALSE)
    message(STATUS "TAEF2 base weights: ${_path} not found; latent models will need $TADM_TAEF2_DIR")
    break()
  endif()
  file(SHA256 "${_path}" _got)
  if(NOT _got STREQUAL _want)
    message(WARNING "TAEF2 base weights: ${_path} has SHA-256 ${_got}, expected ${_want}; not installed")
    set(_tadm_taef2_ok FALSE)
    break()
  endif()
endforeach()
if(_tadm_taef2_ok)
  install(FILES "${TADM_BASE_WEIGHTS_DIR}/taef2/taef2_encoder.pth" "${TADM_BASE_WEIGHTS_DIR}/taef2/taef2_decoder.pth"
                "${PROJECT_SOURCE_DIR}/model/base/taef2/NOTICE"
          DESTINATION ${CMAKE_INSTALL_DATADIR}/tadm/base/taef2)
endif()

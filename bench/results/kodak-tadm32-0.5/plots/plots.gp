set terminal pngcairo size 900,600 font 'sans,10'
set logscale x
set grid
set key bottom right
set xlabel 'bits per pixel (whole file)'
set datafile missing '?'
set output 'psnr.png'
set title 'PSNR (dB, RGB) vs rate, mean over 24 images'
set ylabel 'PSNR (dB, RGB)'
plot 'psnr_tadm_classic.dat' with linespoints lw 2 pt 7 ps 1.5 title 'tadm classic', \
  'psnr_tadm_tadm32.dat' with linespoints lw 2 pt 7 ps 1.5 title 'tadm tadm32', \
  'psnr_matched_jpeg.dat' with points pt 5 ps 1.3 title 'jpeg at tadm bytes', \
  'psnr_matched_avif.dat' with points pt 5 ps 1.3 title 'avif at tadm bytes', \
  'psnr_matched_jxl.dat' with points pt 5 ps 1.3 title 'jxl at tadm bytes', \
  'psnr_matched_webp.dat' with points pt 5 ps 1.3 title 'webp at tadm bytes'
set output 'ssim.png'
set title 'SSIM (RGB) vs rate, mean over 24 images'
set ylabel 'SSIM (RGB)'
plot 'ssim_tadm_classic.dat' with linespoints lw 2 pt 7 ps 1.5 title 'tadm classic', \
  'ssim_tadm_tadm32.dat' with linespoints lw 2 pt 7 ps 1.5 title 'tadm tadm32', \
  'ssim_matched_jpeg.dat' with points pt 5 ps 1.3 title 'jpeg at tadm bytes', \
  'ssim_matched_avif.dat' with points pt 5 ps 1.3 title 'avif at tadm bytes', \
  'ssim_matched_jxl.dat' with points pt 5 ps 1.3 title 'jxl at tadm bytes', \
  'ssim_matched_webp.dat' with points pt 5 ps 1.3 title 'webp at tadm bytes'
set output 'msssim.png'
set title 'MS-SSIM (RGB) vs rate, mean over 24 images'
set ylabel 'MS-SSIM (RGB)'
plot 'msssim_tadm_classic.dat' with linespoints lw 2 pt 7 ps 1.5 title 'tadm classic', \
  'msssim_tadm_tadm32.dat' with linespoints lw 2 pt 7 ps 1.5 title 'tadm tadm32', \
  'msssim_matched_jpeg.dat' with points pt 5 ps 1.3 title 'jpeg at tadm bytes', \
  'msssim_matched_avif.dat' with points pt 5 ps 1.3 title 'avif at tadm bytes', \
  'msssim_matched_jxl.dat' with points pt 5 ps 1.3 title 'jxl at tadm bytes', \
  'msssim_matched_webp.dat' with points pt 5 ps 1.3 title 'webp at tadm bytes'
set output 'butteraugli.png'
set title 'butteraugli (max norm, lower is better) vs rate, mean over 24 images'
set ylabel 'butteraugli (max norm, lower is better)'
plot 'butteraugli_tadm_classic.dat' with linespoints lw 2 pt 7 ps 1.5 title 'tadm classic', \
  'butteraugli_tadm_tadm32.dat' with linespoints lw 2 pt 7 ps 1.5 title 'tadm tadm32', \
  'butteraugli_matched_jpeg.dat' with points pt 5 ps 1.3 title 'jpeg at tadm bytes', \
  'butteraugli_matched_avif.dat' with points pt 5 ps 1.3 title 'avif at tadm bytes', \
  'butteraugli_matched_jxl.dat' with points pt 5 ps 1.3 title 'jxl at tadm bytes', \
  'butteraugli_matched_webp.dat' with points pt 5 ps 1.3 title 'webp at tadm bytes'
set output 'ssimulacra.png'
set title 'ssimulacra (lower is better) vs rate, mean over 24 images'
set ylabel 'ssimulacra (lower is better)'
plot 'ssimulacra_tadm_classic.dat' with linespoints lw 2 pt 7 ps 1.5 title 'tadm classic', \
  'ssimulacra_tadm_tadm32.dat' with linespoints lw 2 pt 7 ps 1.5 title 'tadm tadm32', \
  'ssimulacra_matched_jpeg.dat' with points pt 5 ps 1.3 title 'jpeg at tadm bytes', \
  'ssimulacra_matched_avif.dat' with points pt 5 ps 1.3 title 'avif at tadm bytes', \
  'ssimulacra_matched_jxl.dat' with points pt 5 ps 1.3 title 'jxl at tadm bytes', \
  'ssimulacra_matched_webp.dat' with points pt 5 ps 1.3 title 'webp at tadm bytes'
set output 'lpips.png'
set title 'LPIPS-squeeze (lower is better) vs rate, mean over 24 images'
set ylabel 'LPIPS-squeeze (lower is better)'
plot 'lpips_tadm_classic.dat' with linespoints lw 2 pt 7 ps 1.5 title 'tadm classic', \
  'lpips_tadm_tadm32.dat' with linespoints lw 2 pt 7 ps 1.5 title 'tadm tadm32', \
  'lpips_matched_jpeg.dat' with points pt 5 ps 1.3 title 'jpeg at tadm bytes', \
  'lpips_matched_avif.dat' with points pt 5 ps 1.3 title 'avif at tadm bytes', \
  'lpips_matched_jxl.dat' with points pt 5 ps 1.3 title 'jxl at tadm bytes', \
  'lpips_matched_webp.dat' with points pt 5 ps 1.3 title 'webp at tadm bytes'

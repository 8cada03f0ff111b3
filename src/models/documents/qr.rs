//! The QR code of a document's verification URL, as a PNG picture.
use qrcode::{Color, EcLevel, QrCode};

use super::word::DocumentError;

/// Pixels per QR module in [`qr_png`]: large enough that a viewer scaling the
/// picture to print size keeps the module edges sharp.
pub const QR_MODULE_PX: usize = 8;

/// Light modules around the symbol in [`qr_png`] (the quiet zone ISO/IEC
/// 18004 asks for).
pub const QR_QUIET_ZONE: usize = 4;

/// Printed edge of the QR picture in the Word documents: 2.8 cm in EMU.
pub(super) const QR_EMU: u32 = 1_008_000;

/// The QR code (error correction level M) of `text` as a 1-bit greyscale
/// PNG, [`QR_MODULE_PX`] pixels per module with a [`QR_QUIET_ZONE`]-module
/// light border. The PNG is written here, without the `image` crate: its
/// zlib stream uses stored (uncompressed) deflate blocks, which every
/// decoder accepts; the `.docx` container compresses it anyway.
///
/// # Errors
/// [`DocumentError::Qr`] when `text` does not fit in a QR code.
pub fn qr_png(text: &str) -> Result<Vec<u8>, DocumentError> {
    qr_png_sized(text).map(|(png, _)| png)
}

/// [`qr_png`] and its edge length in pixels.
pub(super) fn qr_png_sized(text: &str) -> Result<(Vec<u8>, usize), DocumentError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(DocumentError::Qr)?;
    let modules = code.width();
    let colors = code.to_colors();
    let side = (modules + 2 * QR_QUIET_ZONE) * QR_MODULE_PX;
    let row_bytes = side.div_ceil(8);

    // Scanlines: filter byte 0 (none), then one bit per pixel, 1 = white.
    let mut raw = Vec::with_capacity(side * (row_bytes + 1));
    let mut line = vec![0u8; row_bytes + 1];
    for y in 0..side {
        if y % QR_MODULE_PX == 0 {
            line.fill(0);
            for x in 0..side {
                let mx = (x / QR_MODULE_PX).checked_sub(QR_QUIET_ZONE).filter(|&m| m < modules);
                let my = (y / QR_MODULE_PX).checked_sub(QR_QUIET_ZONE).filter(|&m| m < modules);
                let dark = matches!((mx, my), (Some(mx), Some(my)) if colors[my * modules + mx] == Color::Dark);
                if !dark {
                    line[1 + x / 8] |= 0x80 >> (x % 8);
                }
            }
        }
        raw.extend_from_slice(&line);
    }

    let side32 = u32::try_from(side).unwrap_or(u32::MAX);
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&side32.to_be_bytes());
    ihdr.extend_from_slice(&side32.to_be_bytes());
    // Bit depth 1, colour type 0 (greyscale), deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);

    let idat = zlib_stored(&raw);
    let mut png = Vec::with_capacity(8 + 25 + idat.len() + 12 + 12);
    png.extend_from_slice(b"\x89PNG\r\n\x1a\n");
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(&mut png, b"IDAT", &idat);
    png_chunk(&mut png, b"IEND", &[]);
    Ok((png, side))
}

pub(super) fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = !crc32_update(crc32_update(!0, kind), data);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4):
/// header, blocks of at most 65,535 bytes each, Adler-32 of the data.
pub(super) fn zlib_stored(data: &[u8]) -> Vec<u8> {
    const BLOCK: usize = 0xFFFF;
    let mut out = Vec::with_capacity(data.len() + 6 + 5 * (data.len() / BLOCK + 1));
    // CMF 0x78: deflate, 32 KiB window; FLG 0x01 makes CMF·256+FLG a multiple of 31.
    out.extend_from_slice(&[0x78, 0x01]);
    let mut chunks = data.chunks(BLOCK).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
    }
    while let Some(chunk) = chunks.next() {
        let last = u8::from(chunks.peek().is_none());
        let len = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
        out.push(last);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

pub(super) fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65_521;
    // 5,552 bytes is the longest run whose sums cannot overflow u32 before reduction.
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

/// CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320) lookup table.
pub(super) const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
};

/// Feeds `data` into a running CRC-32 register (start with `!0`, finish with `!`).
pub(super) fn crc32_update(mut crc: u32, data: &[u8]) -> u32 {
    for &byte in data {
        crc = CRC_TABLE[((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8);
    }
    crc
}

// ---------------------------------------------------------------------------
// Word building blocks
// ---------------------------------------------------------------------------

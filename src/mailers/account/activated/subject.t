Akun SI-FILMA Anda telah diaktifkan

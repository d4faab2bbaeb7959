module threadsbench

go 1.19

// The `wuerstchen` command-line tool: a thin shell over the Wuerstchen library.
Console.Error.WriteLine("wuerstchen: commands are being built (see README.md).");
return 1;

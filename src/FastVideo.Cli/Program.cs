return FastVideo.Cli.CliApp.Run(args);

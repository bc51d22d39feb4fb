namespace FastVideo.Cli;

public static class CliApp
{
    public static int Run(string[] args)
    {
        Console.WriteLine("fastvideo: not yet wired");
        return 0;
    }
}

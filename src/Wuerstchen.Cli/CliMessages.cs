namespace Wuerstchen.Cli;

internal static class CliMessages
{
    /// <summary>An ArgumentException's message without .NET's " (Parameter 'x')" suffix, for users who name options, not parameters.</summary>
    public static string WithoutParameterName(ArgumentException e)
    {
        string suffix = $" (Parameter '{e.ParamName}')";
        return e.ParamName != null && e.Message.EndsWith(suffix, StringComparison.Ordinal) ? e.Message[..^suffix.Length] : e.Message;
    }
}

Console.WriteLine("updater");
